import VerifyCore

/// Why the daemon killed a worker, and the verdict that makes of its run: the reason travels as
/// a value, never read back from the message's text.
public struct WorkerKill: Sendable, Equatable {
    public var verdict: Verdict
    /// The run's error text.
    public var message: String

    /// Stopped from outside (verifyd stopping, the archive changing under the run): the run
    /// says nothing of the backup.
    public static func interrupted(_ message: String) -> WorkerKill { WorkerKill(verdict: .interrupted, message: message) }

    /// The worker went wrong (ran past `worker_timeout`, stalled): the archive could not be verified.
    public static func failed(_ message: String) -> WorkerKill { WorkerKill(verdict: .error, message: message) }
}
