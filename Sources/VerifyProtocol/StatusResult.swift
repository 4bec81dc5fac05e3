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

    public init(
        name: String, path: String, state: DestinationState, reason: String, archives: Int, newestArchive: String?,
        newestArchiveMtime: Double?, lastRun: RunSummary?, failingArchives: [String], nextRun: Double?, running: [RunProgress]
    ) {
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
    public var verdict: String
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

    public init(
        id: Int64, destination: String, archive: String, archiveSize: Int64, archiveMtime: Double, archiveDigest: String?,
        trigger: String, started: Double, finished: Double?, verdict: String, sample: String, seed: String, entriesSeen: Int,
        entriesSelected: Int, entriesChecked: Int, bytesRead: Int64, durationSeconds: Double, failureCount: Int, error: String?
    ) {
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
