/// `report`: what a destination's history holds for a window, in one bounded reply, for
/// `verifyctl report` (HTML or JSON). Read-only, open to every peer. See docs/protocol.md.
public struct ReportArguments: Codable, Sendable, Equatable {
    /// Destinations to report on; nil or empty: all.
    public var destinations: [String]?
    /// Start of the window (Unix seconds); nil: 30 days before now.
    public var since: Double?

    public init(destinations: [String]? = nil, since: Double? = nil) {
        self.destinations = destinations
        self.since = since
    }
}

/// The bounds that keep a `report` reply small whatever the history holds: at most about 3 MB
/// (measured: 6 destinations of 3,000 runs with 560-byte names gave a 10 MB reply under the
/// first, looser bounds).
public enum ReportBounds {
    /// Runs of one destination in a reply (the newest of the window).
    public static let runsPerDestination = 1_000
    /// Runs of all destinations in a reply.
    public static let runsPerReply = 5_000
    /// Failing runs listed with their findings, per destination (the newest).
    public static let failingRunsPerDestination = 50
    /// Failing runs listed in a reply, all destinations together.
    public static let failingRunsPerReply = 200
    /// Findings listed per failing run.
    public static let findingsPerRun = 3
    /// Longest name or text (an archive, an entry, a reason, an error), in bytes as JSON
    /// encodes it; longer ones are cut in the middle with a marker, keeping the file name.
    public static let textBytes = 256
    /// Longest expected or actual value of a finding (a SHA-512 or BLAKE2b digest fits).
    public static let valueBytes = 160
    /// The longest window: a report never reaches further back.
    public static let maxWindow: Double = 400 * 86_400

    /// A finding with each field cut to the report's bounds.
    public static func bounded(_ failure: FailureSummary) -> FailureSummary {
        FailureSummary(
            path: AlertBounds.cut(failure.path, to: textBytes), kind: AlertBounds.cut(failure.kind, to: AlertBounds.kindBytes),
            expected: AlertBounds.cut(failure.expected, to: valueBytes), actual: AlertBounds.cut(failure.actual, to: valueBytes))
    }
}

public struct ReportResult: Codable, Sendable, Equatable {
    /// When the daemon answered.
    public var generated: Double
    /// Start of the window, after the daemon applied its default and `ReportBounds.maxWindow`.
    public var since: Double
    public var version: String
    /// Filled by `verifyctl report`: the time zone its days are counted in.
    public var timeZone: String?
    public var destinations: [DestinationReport]

    public init(generated: Double, since: Double, version: String, destinations: [DestinationReport]) {
        self.generated = generated
        self.since = since
        self.version = version
        self.destinations = destinations
    }
}

/// One destination: its current state and its runs, failures and coverage in the window.
public struct DestinationReport: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var state: DestinationState
    public var reason: String
    /// The destination's `max_age` (seconds), to tell stale days.
    public var maxAge: Double?
    /// The destination's `shrink_alert` (a fraction), to flag shrunk archives.
    public var shrinkAlert: Double?
    /// Archives the daemon tracks now.
    public var archives: Int
    public var coverage: CoverageSummary?
    /// The finished runs of the window whose verdict counts (held ones left out), oldest first.
    public var runs: [ReportRun]
    /// Runs of the window left out by `ReportBounds` (the oldest ones).
    public var runsOmitted: Int
    /// The window's `fail` and `error` runs, newest first, with their first findings.
    public var failures: [ReportFailure]
    public var failuresOmitted: Int
    /// Filled by `verifyctl report` (never by the daemon): one state per day of the window.
    public var days: [ReportDay]?
    /// Filled by `verifyctl report`: each distinct archive's size and entries, by series.
    public var series: [ArchiveSeries]?

    public init(
        name: String, path: String, state: DestinationState, reason: String, maxAge: Double?, shrinkAlert: Double?,
        archives: Int, coverage: CoverageSummary?, runs: [ReportRun], runsOmitted: Int, failures: [ReportFailure],
        failuresOmitted: Int
    ) {
        self.name = name
        self.path = path
        self.state = state
        self.reason = reason
        self.maxAge = maxAge
        self.shrinkAlert = shrinkAlert
        self.archives = archives
        self.coverage = coverage
        self.runs = runs
        self.runsOmitted = runsOmitted
        self.failures = failures
        self.failuresOmitted = failuresOmitted
    }
}

/// A run, as little of it as the report needs.
public struct ReportRun: Codable, Sendable, Equatable {
    public var id: Int64
    public var archive: String
    public var archiveSize: Int64
    public var archiveMtime: Double
    public var started: Double
    public var finished: Double
    /// `pass`, `fail`, `error` or `interrupted`.
    public var verdict: RunVerdict
    public var entriesSeen: Int
    public var entriesChecked: Int
    public var failureCount: Int

    public init(
        id: Int64, archive: String, archiveSize: Int64, archiveMtime: Double, started: Double, finished: Double,
        verdict: RunVerdict, entriesSeen: Int, entriesChecked: Int, failureCount: Int
    ) {
        self.id = id
        self.archive = archive
        self.archiveSize = archiveSize
        self.archiveMtime = archiveMtime
        self.started = started
        self.finished = finished
        self.verdict = verdict
        self.entriesSeen = entriesSeen
        self.entriesChecked = entriesChecked
        self.failureCount = failureCount
    }
}

/// A failing run of the window with its first findings.
public struct ReportFailure: Codable, Sendable, Equatable {
    public var run: ReportRun
    /// The run's error (for `error` verdicts), bounded.
    public var error: String?
    public var findings: [FailureSummary]

    public init(run: ReportRun, error: String?, findings: [FailureSummary]) {
        self.run = run
        self.error = error
        self.findings = findings
    }
}
