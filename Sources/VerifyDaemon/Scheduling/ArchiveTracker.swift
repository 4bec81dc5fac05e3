import VerifyProtocol

/// The scheduling state of one destination, as a pure state machine: scans and finished runs go
/// in; which archives are due, when to look again, and the destination's state come out. Time is
/// passed in, so every decision is testable without waiting.
public struct ArchiveTracker: Sendable {
    public struct Settings: Sendable, Equatable {
        public var settle: Double
        public var interval: Double
        public var keepVerifying: Int
        public var maxAge: Double?
        public var pollInterval: Double
        /// How long a settled archive waits for its manifest before it is verified anyway (and
        /// reported as an error that names the missing file).
        public var companionGrace: Double

        public init(destination: DestinationConfiguration) {
            settle = destination.settle
            interval = destination.interval
            keepVerifying = destination.keepVerifying
            maxAge = destination.maxAge
            pollInterval = destination.pollInterval
            companionGrace = max(3600, destination.settle * 10)
        }
    }

    /// The last finished run of an archive.
    public struct RunMark: Sendable, Equatable {
        public var size: Int64
        public var mtime: Double
        public var finished: Double
        public var verdict: String

        public init(size: Int64, mtime: Double, finished: Double, verdict: String) {
            self.size = size
            self.mtime = mtime
            self.finished = finished
            self.verdict = verdict
        }
    }

    struct Observation: Sendable, Equatable {
        var file: ArchiveFile
        /// When the current size and mtime were first seen.
        var since: Double
    }

    public var settings: Settings
    public private(set) var scan: ScanOutcome?
    public private(set) var scannedAt: Double?
    private var observations: [String: Observation] = [:]
    public private(set) var lastRuns: [String: RunMark] = [:]
    /// Archives queued or running (or holding a failing verdict until they are still).
    public private(set) var active: Set<String> = []
    /// Archives not verified now, and why: a writer has one open, it changed under its run, or
    /// its failure waits to be confirmed. Cleared when a run starts or ends, or the archive goes.
    public private(set) var waiting: [String: String] = [:]

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Takes in a scan.
    public mutating func observe(_ outcome: ScanOutcome, at now: Double) {
        scan = outcome
        scannedAt = now
        guard case .found(let archives, _) = outcome else { return }
        var next: [String: Observation] = [:]
        for file in archives {
            if let old = observations[file.path], old.file.size == file.size, old.file.mtime == file.mtime {
                next[file.path] = Observation(file: file, since: old.since)
            } else {
                next[file.path] = Observation(file: file, since: now)
            }
        }
        observations = next
        waiting = waiting.filter { next[$0.key] != nil }
    }

    /// The archive is not still (a writer has it open, or it changed under a run): its settle
    /// time starts again now, and the destination is pending for `reason` meanwhile.
    public mutating func restartSettle(_ path: String, because reason: String, at now: Double) {
        observations[path]?.since = now
        waiting[path] = reason
    }

    /// Why a tracked archive is not verified now (shown as the pending reason).
    public mutating func wait(_ path: String, because reason: String) {
        waiting[path] = reason
    }

    public mutating func recordRun(path: String, _ mark: RunMark) {
        lastRuns[path] = mark
    }

    public mutating func markActive(_ path: String) {
        active.insert(path)
        waiting[path] = nil
    }
    public mutating func markInactive(_ path: String) {
        active.remove(path)
        waiting[path] = nil
    }

    /// The archives found, newest first.
    public var archives: [ArchiveFile] {
        observations.values.map(\.file).sorted { $0.mtime != $1.mtime ? $0.mtime > $1.mtime : $0.path > $1.path }
    }

    /// The newest `keepVerifying` archives: the ones verified and re-verified.
    public var tracked: [ArchiveFile] { Array(archives.prefix(settings.keepVerifying)) }

    /// Archives to verify now, and why.
    public func due(at now: Double) -> [(file: ArchiveFile, trigger: RunTrigger)] {
        var due: [(ArchiveFile, RunTrigger)] = []
        for file in tracked where !active.contains(file.path) {
            guard let observation = observations[file.path], now - observation.since >= settings.settle else { continue }
            if !file.companionsReady, now - observation.since < settings.settle + settings.companionGrace { continue }
            guard let mark = lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime else {
                due.append((file, .arrival))
                continue
            }
            if mark.verdict == "interrupted" {
                due.append((file, .retry))
            } else if now >= mark.finished + settings.interval {
                due.append((file, .schedule))
            }
        }
        return due
    }

    /// When something may next become due (or a scan is owed); nil when nothing is pending.
    public func nextWake(after now: Double) -> Double {
        var wake = (scannedAt ?? now) + settings.pollInterval
        for file in tracked where !active.contains(file.path) {
            guard let observation = observations[file.path] else { continue }
            let settledAt = observation.since + settings.settle
            if settledAt > now {
                wake = min(wake, settledAt)
            } else if !file.companionsReady {
                wake = min(wake, max(now, observation.since + settings.settle + settings.companionGrace))
            } else if let mark = lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime, mark.verdict != "interrupted" {
                wake = min(wake, mark.finished + settings.interval)
            }
        }
        return wake
    }

    /// The next scheduled verification of a tracked archive, if known.
    public func nextRun(after now: Double) -> Double? {
        var next: Double?
        for file in tracked {
            guard let observation = observations[file.path] else { continue }
            var at: Double
            if let mark = lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime, mark.verdict != "interrupted" {
                at = mark.finished + settings.interval
            } else {
                at = observation.since + settings.settle
            }
            at = max(at, now)
            next = next.map { min($0, at) } ?? at
        }
        return next
    }

    /// The destination's state and why, worst first: unavailable, failing, stale, pending, ok.
    public func state(at now: Double) -> (DestinationState, String) {
        guard let scan else { return (.pending, "not scanned yet") }
        if case .unavailable(let reason) = scan { return (.unavailable, reason) }
        let failing = failingArchives
        if !failing.isEmpty {
            return (.failing, "\(failing.count) of the newest \(tracked.count) archive(s) failed verification")
        }
        guard let newest = archives.first else {
            return settings.maxAge == nil ? (.pending, "no archive yet") : (.stale, "no archive matches the patterns")
        }
        if let maxAge = settings.maxAge, now - newest.mtime > maxAge {
            return (.stale, "the newest archive is \(DurationText.words(now - newest.mtime)) old (max_age \(DurationText.words(maxAge)))")
        }
        if let reason = tracked.lazy.compactMap({ self.waiting[$0.path] }).first { return (.pending, reason) }
        let unverified = tracked.filter { file in
            guard let mark = lastRuns[file.path] else { return true }
            return mark.size != file.size || mark.mtime != file.mtime || mark.verdict == "interrupted"
        }
        if !unverified.isEmpty { return (.pending, "\(unverified.count) archive(s) not verified yet") }
        return (.ok, "the newest \(tracked.count) archive(s) passed")
    }

    /// Tracked archives whose latest run (of their current content) failed or errored.
    public var failingArchives: [String] {
        tracked.compactMap { file in
            guard let mark = lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime else { return nil }
            return mark.verdict == "fail" || mark.verdict == "error" ? file.path : nil
        }
    }
}
