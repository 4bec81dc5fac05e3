/// The reply to `status`.
public struct StatusResult: Codable, Sendable, Equatable {
    public var daemon: DaemonInfo
    public var destinations: [DestinationStatus]

    public init(daemon: DaemonInfo, destinations: [DestinationStatus]) {
        self.daemon = daemon
        self.destinations = destinations
    }
}

public struct DaemonInfo: Codable, Sendable, Equatable {
    public var version: String
    public var pid: Int32
    /// Unix seconds.
    public var started: Double
    public var now: Double
    public var configPath: String
    public var running: Int
    public var queued: Int

    public init(version: String, pid: Int32, started: Double, now: Double, configPath: String, running: Int, queued: Int) {
        self.version = version
        self.pid = pid
        self.started = started
        self.now = now
        self.configPath = configPath
        self.running = running
        self.queued = queued
    }
}

/// The state of a destination, worst first in precedence: unavailable, failing, stale, pending, ok.
public enum DestinationState: String, Codable, Sendable, CaseIterable {
    case ok, failing, stale, unavailable, pending
}

public struct DestinationStatus: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var state: DestinationState
    /// Why the state is what it is, in one line.
    public var reason: String
    public var archives: Int
    public var newestArchive: String?
    /// Unix seconds.
    public var newestArchiveMtime: Double?
    public var lastRun: RunSummary?
    /// Archives whose latest run failed or errored.
    public var failingArchives: [String]
    /// Unix seconds of the next scheduled verification, if one is known.
    public var nextRun: Double?
    public var running: [RunProgress]
    /// How much of the kept archives has been read back (runs with a sample).
    public var coverage: CoverageSummary?
    /// Problems that are not a state: a coverage goal that the budget cannot meet.
    public var warnings: [String]
    /// Totals that only grow (Prometheus counters); absent from older daemons.
    public var totals: DestinationTotals?

    public init(
        name: String, path: String, state: DestinationState, reason: String, archives: Int, newestArchive: String?,
        newestArchiveMtime: Double?, lastRun: RunSummary?, failingArchives: [String], nextRun: Double?, running: [RunProgress],
        coverage: CoverageSummary? = nil, warnings: [String] = [], totals: DestinationTotals? = nil
    ) {
        self.totals = totals
        self.coverage = coverage
        self.warnings = warnings
        self.name = name
        self.path = path
        self.state = state
        self.reason = reason
        self.archives = archives
        self.newestArchive = newestArchive
        self.newestArchiveMtime = newestArchiveMtime
        self.lastRun = lastRun
        self.failingArchives = failingArchives
        self.nextRun = nextRun
        self.running = running
    }
}

/// A run in progress.
public struct RunProgress: Codable, Sendable, Equatable {
    public var runId: Int64
    public var archive: String
    public var started: Double
    public var entries: Int
    public var bytesRead: Int64
    public var archiveSize: Int64

    public init(runId: Int64, archive: String, started: Double, entries: Int, bytesRead: Int64, archiveSize: Int64) {
        self.runId = runId
        self.archive = archive
        self.started = started
        self.entries = entries
        self.bytesRead = bytesRead
        self.archiveSize = archiveSize
    }
}

/// One run, as history lists it.
public struct RunSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var destination: String
    public var archive: String
    public var archiveSize: Int64
    public var archiveMtime: Double
    public var archiveDigest: String?
    public var trigger: String
    public var started: Double
    public var finished: Double?
    /// `pass`, `fail`, `error`, `interrupted`, or `running`.
    public var verdict: RunVerdict
    public var sample: String
    /// Decimal, so that JSON readers keep all 64 bits.
    public var seed: String
    public var entriesSeen: Int
    public var entriesSelected: Int
    public var entriesChecked: Int
    public var bytesRead: Int64
    public var durationSeconds: Double
    public var failureCount: Int
    public var error: String?
    /// Why the run ended early without being wrong (its budget), if it did; the manifest's
    /// verified signature (key, trusted comment).
    public var note: String?

    public init(
        id: Int64, destination: String, archive: String, archiveSize: Int64, archiveMtime: Double, archiveDigest: String?,
        trigger: String, started: Double, finished: Double?, verdict: RunVerdict, sample: String, seed: String, entriesSeen: Int,
        entriesSelected: Int, entriesChecked: Int, bytesRead: Int64, durationSeconds: Double, failureCount: Int, error: String?,
        note: String? = nil
    ) {
        self.note = note
        self.id = id
        self.destination = destination
        self.archive = archive
        self.archiveSize = archiveSize
        self.archiveMtime = archiveMtime
        self.archiveDigest = archiveDigest
        self.trigger = trigger
        self.started = started
        self.finished = finished
        self.verdict = verdict
        self.sample = sample
        self.seed = seed
        self.entriesSeen = entriesSeen
        self.entriesSelected = entriesSelected
        self.entriesChecked = entriesChecked
        self.bytesRead = bytesRead
        self.durationSeconds = durationSeconds
        self.failureCount = failureCount
        self.error = error
    }
}

public struct FailureSummary: Codable, Sendable, Equatable {
    public var path: String?
    public var kind: String
    public var expected: String?
    public var actual: String?

    public init(path: String?, kind: String, expected: String?, actual: String?) {
        self.path = path
        self.kind = kind
        self.expected = expected
        self.actual = actual
    }
}

/// Coverage of a destination's kept archives: entries read back (and found good) within the
/// coverage window, and when everything will have been read at the current pace.
public struct CoverageSummary: Codable, Sendable, Equatable {
    /// Seconds; nil when no `coverage_window` is set (then "verified" means ever verified).
    public var window: Double?
    public var entries: Int
    public var verified: Int
    public var failed: Int
    /// Unix seconds of the oldest latest read among the entries read (nil if none).
    public var oldestVerifiedAt: Double?
    /// Entries never read back.
    public var neverVerified: Int
    /// Unix seconds by which every entry will have been read at the current pace.
    public var completeBy: Double?
    /// The bytes the manifests declare (nil when one does not declare sizes), and the bytes of
    /// the entries counted in `verified`.
    public var bytes: Int64?
    public var verifiedBytes: Int64

    public init(
        window: Double?, entries: Int, verified: Int, failed: Int, oldestVerifiedAt: Double?, neverVerified: Int, completeBy: Double?,
        bytes: Int64? = nil, verifiedBytes: Int64 = 0
    ) {
        self.bytes = bytes
        self.verifiedBytes = verifiedBytes
        self.window = window
        self.entries = entries
        self.verified = verified
        self.failed = failed
        self.oldestVerifiedAt = oldestVerifiedAt
        self.neverVerified = neverVerified
        self.completeBy = completeBy
    }
}

/// Arguments of `coverage`.
public struct CoverageArguments: Codable, Sendable, Equatable {
    public var destination: String
    /// One archive's entries; all kept archives' summaries when nil.
    public var archive: String?
    public init(destination: String, archive: String? = nil) {
        self.destination = destination
        self.archive = archive
    }
}

public struct ArchiveCoverageSummary: Codable, Sendable, Equatable {
    public var archive: String
    public var entries: Int?
    public var verified: Int
    public var failed: Int
    public var everVerified: Int
    public var oldestVerifiedAt: Double?
    public init(archive: String, entries: Int?, verified: Int, failed: Int, everVerified: Int, oldestVerifiedAt: Double?) {
        self.archive = archive
        self.entries = entries
        self.verified = verified
        self.failed = failed
        self.everVerified = everVerified
        self.oldestVerifiedAt = oldestVerifiedAt
    }
}

public struct EntryCoverageSummary: Codable, Sendable, Equatable {
    public var path: String
    public var verifiedAt: Double
    public var failed: Bool
    public var runId: Int64
    /// `algorithm:hex` of the content read, and its size.
    public var digest: String?
    public var size: Int64?
    public init(path: String, verifiedAt: Double, failed: Bool, runId: Int64, digest: String? = nil, size: Int64? = nil) {
        self.digest = digest
        self.size = size
        self.path = path
        self.verifiedAt = verifiedAt
        self.failed = failed
        self.runId = runId
    }
}

public struct CoverageResult: Codable, Sendable, Equatable {
    public var destination: String
    public var summary: CoverageSummary?
    public var archives: [ArchiveCoverageSummary]
    /// With `archive`: its entries' latest reads.
    public var entries: [EntryCoverageSummary]?
    public init(destination: String, summary: CoverageSummary?, archives: [ArchiveCoverageSummary], entries: [EntryCoverageSummary]?) {
        self.destination = destination
        self.summary = summary
        self.archives = archives
        self.entries = entries
    }
}

/// A destination's totals since its first run, kept across restarts and pruning.
public struct DestinationTotals: Codable, Sendable, Equatable {
    /// Finished runs by verdict (`pass`, `fail`, `error`, `interrupted`).
    public var runs: [String: Int64]
    public var readBytes: Int64
    public var entriesChecked: Int64
    /// Alerts raised, by kind.
    public var alerts: [String: Int64]
    /// When the latest passing run ended (Unix seconds).
    public var lastPassTime: Double?

    public init(runs: [String: Int64], readBytes: Int64, entriesChecked: Int64, alerts: [String: Int64], lastPassTime: Double?) {
        self.runs = runs
        self.readBytes = readBytes
        self.entriesChecked = entriesChecked
        self.alerts = alerts
        self.lastPassTime = lastPassTime
    }
}
