import VerifyCore
import VerifyProtocol

/// The scheduling state of one destination, as a pure state machine: scans and finished runs go
/// in; which archives are due, when to look again, and the destination's state come out. Time is
/// passed in, so every decision is testable without waiting.
///
/// What lies in a destination is not trusted: an archive whose run failed stays failing (and
/// keeps being verified) until a run of it passes, whatever newer files arrive; one that scans
/// stop finding is reported as gone, not forgotten; a modification time far in the future does
/// not make a file "newest" (it is ordered by when it was first seen).
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
        /// An mtime more than this ahead of the scan's time is an anomaly (`future_mtime`).
        public var futureTolerance: Double

        public init(destination: DestinationConfiguration) {
            settle = destination.settle
            interval = destination.interval
            keepVerifying = destination.keepVerifying
            maxAge = destination.maxAge
            pollInterval = destination.pollInterval
            companionGrace = max(3600, destination.settle * 10)
            futureTolerance = destination.futureMtimeTolerance
        }
    }

    /// The last finished run of an archive.
    public struct RunMark: Sendable, Equatable {
        public var size: Int64
        public var mtime: Double
        public var finished: Double
        public var verdict: Verdict

        public init(size: Int64, mtime: Double, finished: Double, verdict: Verdict) {
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
    /// The observed archives, newest first: sorted once per scan, read on every loop.
    private var ordered: [ArchiveFile] = []
    public private(set) var lastRuns: [String: RunMark] = [:]
    /// Archives queued or running (or holding a failing verdict until they are still).
    public private(set) var active: Set<String> = []
    /// Archives whose latest conclusive run (pass, fail, error) did not pass.
    public private(set) var failing: Set<String> = []
    /// Archives first seen with a modification time far in the future: that mtime, and when.
    public private(set) var futureMtimes: [String: FutureMtime] = [:]
    /// Known archives (run or future-dated) missing from complete scans in a row: how many.
    public private(set) var missingScans: [String: Int] = [:]
    /// How the last failing archive stopped failing.
    public private(set) var failureEnd: FailureEnd?

    /// A complete scan must miss an archive this many times in a row before it is gone (a file
    /// replaced by delete-and-write is missing from one scan at most).
    public static let scansToGone = 2

    /// An archive first seen with an mtime far in the future.
    public struct FutureMtime: Sendable, Equatable {
        public var mtime: Double
        public var firstSeen: Double

        public init(mtime: Double, firstSeen: Double) {
            self.mtime = mtime
            self.firstSeen = firstSeen
        }
    }

    /// How a failing archive stopped failing: a run of it passed, or it went away (no recovery).
    public enum FailureEnd: Sendable, Equatable {
        case passed, removed
    }

    /// An archive scans stopped finding, with its last run's verdict (nil: never run).
    public struct Gone: Sendable, Equatable {
        public var path: String
        public var lastVerdict: Verdict?
        /// Its latest conclusive run did not pass.
        public var wasFailing: Bool
    }

    /// What a scan brought that the daemon must act on.
    public struct ScanEvents: Sendable, Equatable {
        /// Archives seen for the first time with this mtime, more than the tolerance ahead.
        public var futureMtimes: [ArchiveFile] = []
        /// Archives missing from `scansToGone` complete scans in a row: forgotten here.
        public var gone: [Gone] = []
    }
    /// Archives not verified now, and why: a writer has one open, it changed under its run, or
    /// its failure waits to be confirmed. Cleared when a run starts or ends, or the archive goes.
    public private(set) var waiting: [String: String] = [:]

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Takes in a scan; returns what the daemon must report or forget.
    @discardableResult
    public mutating func observe(_ outcome: ScanOutcome, at now: Double) -> ScanEvents {
        scan = outcome
        scannedAt = now
        guard case .found(let archives, _, let notes) = outcome else { return ScanEvents() }
        defer { reorder() }
        var events = ScanEvents()
        var next: [String: Observation] = [:]
        for file in archives {
            if let old = observations[file.path], old.file.size == file.size, old.file.mtime == file.mtime {
                next[file.path] = Observation(file: file, since: old.since)
            } else {
                next[file.path] = Observation(file: file, since: now)
            }
            if file.mtime > now + settings.futureTolerance, futureMtimes[file.path]?.mtime != file.mtime {
                futureMtimes[file.path] = FutureMtime(mtime: file.mtime, firstSeen: next[file.path]!.since)
                events.futureMtimes.append(file)
            }
        }
        if notes.limitReached != nil {
            // A scan cut short saw only part of the destination: what it did not reach is kept
            // as it was, and nothing counts as missing.
            for (path, old) in observations where next[path] == nil { next[path] = old }
            observations = next
            return events
        }
        observations = next
        waiting = waiting.filter { next[$0.key] != nil }
        for path in Set(lastRuns.keys).union(futureMtimes.keys).union(missingScans.keys).sorted() {
            if observations[path] != nil || active.contains(path) {
                missingScans[path] = nil
                continue
            }
            let missed = missingScans[path, default: 0] + 1
            guard missed >= Self.scansToGone else {
                missingScans[path] = missed
                continue
            }
            events.gone.append(Gone(path: path, lastVerdict: lastRuns[path]?.verdict, wasFailing: failing.contains(path)))
            forget(path)
        }
        return events
    }

    /// Drops all state of an archive that is gone.
    mutating func forget(_ path: String) {
        if failing.remove(path) != nil { failureEnd = .removed }
        lastRuns[path] = nil
        futureMtimes[path] = nil
        missingScans[path] = nil
        waiting[path] = nil
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
        switch mark.verdict {
        case .fail, .error: failing.insert(path)
        case .pass: if failing.remove(path) != nil { failureEnd = .passed }
        case .interrupted: break
        }
    }

    /// History's word, at start-up, that this archive's latest conclusive run did not pass (its
    /// latest run may be `interrupted`, which proves nothing).
    public mutating func recordFailing(path: String) {
        failing.insert(path)
    }

    /// History's record of an archive first seen with a future mtime, at start-up.
    public mutating func recordFutureMtime(path: String, _ record: FutureMtime) {
        futureMtimes[path] = record
        reorder()
    }

    public mutating func markActive(_ path: String) {
        active.insert(path)
        waiting[path] = nil
    }
    public mutating func markInactive(_ path: String) {
        active.remove(path)
        waiting[path] = nil
    }

    /// When an archive counts as made: its mtime, or when it was first seen if that mtime was
    /// far in the future then (a file cannot claim to be newer than it is).
    public func orderTime(_ file: ArchiveFile) -> Double {
        if let future = futureMtimes[file.path], future.mtime == file.mtime { return future.firstSeen }
        return file.mtime
    }

    /// The archives found, newest first.
    public var archives: [ArchiveFile] { ordered }

    private mutating func reorder() {
        ordered = observations.values.map { (file: $0.file, time: orderTime($0.file)) }
            .sorted { $0.time != $1.time ? $0.time > $1.time : $0.file.path > $1.file.path }
            .map(\.file)
    }

    /// The newest `keepVerifying` archives: the ones verified and re-verified.
    public var tracked: [ArchiveFile] { Array(archives.prefix(settings.keepVerifying)) }

    /// The archives verified and re-verified: the tracked ones, and every failing archive still
    /// there (newer files never push a failure out of sight).
    public var verifying: [ArchiveFile] {
        let all = archives
        let tracked = all.prefix(settings.keepVerifying)
        guard !failing.isEmpty else { return Array(tracked) }
        return Array(tracked) + all.dropFirst(settings.keepVerifying).filter { failing.contains($0.path) }
    }

    /// The newest archive.
    public var newest: ArchiveFile? { ordered.first }

    /// Archives to verify now, and why.
    public func due(at now: Double) -> [(file: ArchiveFile, trigger: RunTrigger)] {
        var due: [(ArchiveFile, RunTrigger)] = []
        for file in verifying where !active.contains(file.path) {
            guard let observation = observations[file.path], now - observation.since >= settings.settle else { continue }
            if !file.companionsReady, now - observation.since < settings.settle + settings.companionGrace { continue }
            guard let mark = lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime else {
                due.append((file, .arrival))
                continue
            }
            if mark.verdict == .interrupted {
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
        for file in verifying where !active.contains(file.path) {
            guard let observation = observations[file.path] else { continue }
            let settledAt = observation.since + settings.settle
            if settledAt > now {
                wake = min(wake, settledAt)
            } else if !file.companionsReady {
                wake = min(wake, max(now, observation.since + settings.settle + settings.companionGrace))
            } else if let mark = lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime, mark.verdict != .interrupted {
                wake = min(wake, mark.finished + settings.interval)
            }
        }
        return wake
    }

    /// The next scheduled verification of a tracked archive, if known.
    public func nextRun(after now: Double) -> Double? {
        var next: Double?
        for file in verifying {
            guard let observation = observations[file.path] else { continue }
            var at: Double
            if let mark = lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime, mark.verdict != .interrupted {
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
            return (.failing, "\(failing.count) archive(s) failed verification and have not passed since")
        }
        guard let newest else {
            return settings.maxAge == nil ? (.pending, "no archive yet") : (.stale, "no archive matches the patterns")
        }
        let age = now - orderTime(newest)
        if let maxAge = settings.maxAge, age > maxAge {
            return (.stale, "the newest archive is \(DurationText.words(age)) old (max_age \(DurationText.words(maxAge)))")
        }
        if let reason = tracked.lazy.compactMap({ self.waiting[$0.path] }).first { return (.pending, reason) }
        let unverified = tracked.filter { file in
            guard let mark = lastRuns[file.path] else { return true }
            return mark.size != file.size || mark.mtime != file.mtime || mark.verdict == .interrupted
        }
        if !unverified.isEmpty { return (.pending, "\(unverified.count) archive(s) not verified yet") }
        return (.ok, "the newest \(tracked.count) archive(s) passed")
    }

    /// Archives whose latest conclusive run failed or errored, newest first (then those no scan
    /// found lately, by path): whether they are tracked or not, replaced since or not, until a
    /// run passes or they are gone.
    public var failingArchives: [String] {
        guard !failing.isEmpty else { return [] }
        let found = archives.map(\.path).filter { failing.contains($0) }
        return found + failing.subtracting(found).sorted()
    }
}
