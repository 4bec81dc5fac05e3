/// Arguments of `status`.
public struct StatusArguments: Codable, Sendable, Equatable {
    /// One destination, or all when nil.
    public var destination: String?
    public init(destination: String? = nil) { self.destination = destination }
}

/// Arguments of `history`.
public struct HistoryArguments: Codable, Sendable, Equatable {
    public var destination: String?
    /// At most this many runs, newest first (default 20, at most 10000).
    public var limit: Int?
    public init(destination: String?, limit: Int? = nil) {
        self.destination = destination
        self.limit = limit
    }
}

public struct HistoryResult: Codable, Sendable, Equatable {
    public var runs: [RunSummary]
    public init(runs: [RunSummary]) { self.runs = runs }
}

/// Arguments of `show`.
public struct ShowArguments: Codable, Sendable, Equatable {
    public var run: Int64
    public init(run: Int64) { self.run = run }
}

public struct ShowResult: Codable, Sendable, Equatable {
    public var run: RunSummary
    /// The failures stored for the run (`run.failureCount` may be larger).
    public var failures: [FailureSummary]
    public init(run: RunSummary, failures: [FailureSummary]) {
        self.run = run
        self.failures = failures
    }
}

/// Arguments of `verify`: a destination name, or the path of one archive in a destination.
public struct VerifyArguments: Codable, Sendable, Equatable {
    public var target: String
    /// Reply only when the runs have finished.
    public var wait: Bool?
    public init(target: String, wait: Bool? = nil) {
        self.target = target
        self.wait = wait
    }
}

public struct VerifyResult: Codable, Sendable, Equatable {
    /// Archives queued (paths).
    public var queued: [String]
    /// With `wait`: the finished runs.
    public var runs: [RunSummary]?
    public init(queued: [String], runs: [RunSummary]?) {
        self.queued = queued
        self.runs = runs
    }
}

public struct ReloadResult: Codable, Sendable, Equatable {
    public var destinations: [String]
    public init(destinations: [String]) { self.destinations = destinations }
}

public struct PingResult: Codable, Sendable, Equatable {
    public var pong: Bool
    public init() { pong = true }
}
