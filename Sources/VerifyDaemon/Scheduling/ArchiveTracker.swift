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
        /// The scan that last found it (`ArchiveTracker.generation`).
        var seenIn: UInt64 = 0
    }

    /// Changing a setting (a reload) takes effect at once: orderings and summaries are rebuilt.
    public var settings: Settings {
        didSet { if settings != oldValue { rebuild() } }
    }
    public internal(set) var scan: ScanOutcome?
    public internal(set) var scannedAt: Double?
    var observations: [String: Observation] = [:]
    /// Counts complete and partial scans, to find what a scan did not see without a set of it.
    var generation: UInt64 = 0
    /// The observed archives, newest first: rebuilt by a scan that changed something, read on
    /// every loop and request.
    var ordered: [ArchiveFile] = []
    public internal(set) var lastRuns: [String: RunMark] = [:]
    /// Archives queued or running (or holding a failing verdict until they are still).
    public internal(set) var active: Set<String> = []
    /// Archives whose latest conclusive run (pass, fail, error) did not pass.
    public internal(set) var failing: Set<String> = []
    /// Archives first seen with a modification time far in the future: that mtime, and when.
    public internal(set) var futureMtimes: [String: FutureMtime] = [:]
    /// Known archives (run or future-dated) missing from complete scans in a row: how many.
    public internal(set) var missingScans: [String: Int] = [:]
    /// How the last failing archive stopped failing.
    public internal(set) var failureEnd: FailureEnd?

    // Summaries kept up to date as archives and runs change (ArchiveTracker+Summary.swift), so
    // that a run, a loop or a `status` costs the same with 10 or 100,000 archives.
    /// When each verified, idle archive next becomes due; and the same as a heap.
    var dueAt: [String: Double] = [:]
    var dueHeap = DueHeap()
    /// Tracked archives with no conclusive run of their current copy.
    var unverifiedTracked = 0
    /// Verified archives (tracked or failing) that are queued or running.
    var activeVerifying = 0
    /// How many times the summaries were rebuilt from everything (tests count them).
    var rebuilds = 0

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
    public internal(set) var waiting: [String: String] = [:]

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Takes in a scan; returns what the daemon must report or forget. A scan that found the
    /// same files as the last one costs a lookup per file and nothing more; only one that
    /// changed something rebuilds the destination's orderings.
    @discardableResult
    public mutating func observe(_ outcome: ScanOutcome, at now: Double) -> ScanEvents {
        scan = outcome
        scannedAt = now
        guard case .found(let archives, _, let notes) = outcome else { return ScanEvents() }
        generation &+= 1
        var events = ScanEvents()
        var reordered = false
        var touched: [String] = []
        var found = 0
        for file in archives {
            let since: Double
            if let old = observations[file.path], old.file.size == file.size, old.file.mtime == file.mtime {
                if old.seenIn != generation { found += 1 }
                since = old.since
                observations[file.path]?.seenIn = generation
                if old.file.companionsReady != file.companionsReady {
                    observations[file.path]?.file = file
                    touched.append(file.path)
                }
            } else {
                if observations[file.path].map({ $0.seenIn != generation }) ?? true { found += 1 }
                since = now
                observations[file.path] = Observation(file: file, since: now, seenIn: generation)
                reordered = true
            }
            if file.mtime > now + settings.futureTolerance, futureMtimes[file.path]?.mtime != file.mtime {
                futureMtimes[file.path] = FutureMtime(mtime: file.mtime, firstSeen: since)
                events.futureMtimes.append(file)
            }
        }
        // A scan cut short saw only part of the destination: what it did not reach is kept as
        // it was, and nothing counts as missing.
        if notes.limitReached == nil, found < observations.count {
            for path in observations.filter({ $0.value.seenIn != generation }).map(\.key) { observations[path] = nil }
            reordered = true
        }
        if notes.limitReached == nil {
            waiting = waiting.filter { observations[$0.key] != nil }
            events.gone = countMissing()
        }
        if reordered {
            rebuild()
        } else {
            for path in touched { companionsChanged(path) }
        }
        return events
    }

    /// Known archives (run, future-dated, or missed before) that this complete scan did not
    /// find: counted, and forgotten once gone. Costs a lookup per known archive.
    private mutating func countMissing() -> [Gone] {
        for path in missingScans.keys where observations[path] != nil || active.contains(path) { missingScans[path] = nil }
        var missing: [String] = []
        for path in lastRuns.keys where isAbsent(path) { missing.append(path) }
        for path in futureMtimes.keys where lastRuns[path] == nil && isAbsent(path) { missing.append(path) }
        for path in missingScans.keys where lastRuns[path] == nil && futureMtimes[path] == nil && isAbsent(path) { missing.append(path) }
        var gone: [Gone] = []
        for path in missing.sorted() {
            let missed = missingScans[path, default: 0] + 1
            guard missed >= Self.scansToGone else {
                missingScans[path] = missed
                continue
            }
            gone.append(Gone(path: path, lastVerdict: lastRuns[path]?.verdict, wasFailing: failing.contains(path)))
            forget(path)
        }
        return gone
    }

    /// Neither found by the last scan nor queued or running.
    private func isAbsent(_ path: String) -> Bool {
        observations[path] == nil && !active.contains(path)
    }

    /// Drops all state of an archive that is gone.
    mutating func forget(_ path: String) {
        update(path) { tracker in
            if tracker.failing.remove(path) != nil { tracker.failureEnd = .removed }
            tracker.lastRuns[path] = nil
            tracker.futureMtimes[path] = nil
            tracker.missingScans[path] = nil
            tracker.waiting[path] = nil
        }
    }

    /// The archive is not still (a writer has it open, or it changed under a run): its settle
    /// time starts again now, and the destination is pending for `reason` meanwhile.
    public mutating func restartSettle(_ path: String, because reason: String, at now: Double) {
        update(path) { tracker in
            tracker.observations[path]?.since = now
            tracker.waiting[path] = reason
        }
    }

    /// Why a tracked archive is not verified now (shown as the pending reason).
    public mutating func wait(_ path: String, because reason: String) {
        waiting[path] = reason
    }

    public mutating func recordRun(path: String, _ mark: RunMark) {
        update(path) { tracker in
            tracker.lastRuns[path] = mark
            switch mark.verdict {
            case .fail, .error: tracker.failing.insert(path)
            case .pass: if tracker.failing.remove(path) != nil { tracker.failureEnd = .passed }
            default: break
            }
        }
    }

    /// History's word, at start-up, that this archive's latest conclusive run did not pass (its
    /// latest run may be `interrupted`, which proves nothing).
    public mutating func recordFailing(path: String) {
        update(path) { tracker in _ = tracker.failing.insert(path) }
    }

    /// History's record of an archive first seen with a future mtime, at start-up.
    public mutating func recordFutureMtime(path: String, _ record: FutureMtime) {
        futureMtimes[path] = record
        rebuild()
    }

    public mutating func markActive(_ path: String) {
        update(path) { tracker in
            tracker.active.insert(path)
            tracker.waiting[path] = nil
        }
    }
    public mutating func markInactive(_ path: String) {
        update(path) { tracker in
            tracker.active.remove(path)
            tracker.waiting[path] = nil
        }
    }

    /// When an archive counts as made: its mtime, or when it was first seen if that mtime was
    /// far in the future then (a file cannot claim to be newer than it is).
    public func orderTime(_ file: ArchiveFile) -> Double {
        if let future = futureMtimes[file.path], future.mtime == file.mtime { return future.firstSeen }
        return file.mtime
    }

    /// Whether `a` comes before `b` newest first (by when made, then by path).
    func isNewer(_ a: ArchiveFile, _ b: ArchiveFile) -> Bool {
        let (ta, tb) = (orderTime(a), orderTime(b))
        return ta != tb ? ta > tb : a.path > b.path
    }

    /// The archives found, newest first.
    public var archives: [ArchiveFile] { ordered }

    /// The newest `keepVerifying` archives: the ones verified and re-verified.
    public var tracked: [ArchiveFile] { Array(ordered.prefix(max(settings.keepVerifying, 0))) }

    /// The archives verified and re-verified: the tracked ones, and every failing archive still
    /// there (newer files never push a failure out of sight).
    public var verifying: [ArchiveFile] {
        let tracked = self.tracked
        guard !failing.isEmpty else { return tracked }
        let older = failing.compactMap { path in isTracked(path) ? nil : observations[path]?.file }
        return tracked + older.sorted(by: isNewer)
    }

    /// The newest archive.
    public var newest: ArchiveFile? { ordered.first }
}
