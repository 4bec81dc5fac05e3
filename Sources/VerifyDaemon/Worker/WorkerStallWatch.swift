import ArchiveReading

/// The daemon's stall watchdog over one worker, as a pure decision with explicit times: the
/// worker reports its progress count and stage twice a second (`WorkerHeartbeat`); when the
/// count has not moved for `limit` seconds, at whatever stage (opening, reading the manifest,
/// parsing, reading, checking a restore), the worker is stalled and is killed.
///
/// `limit` is `stall_timeout` plus a grace (as much again, at most 10 s), so that the worker's
/// own parser watchdog, which fails the archive with a finding that names the parser loop,
/// speaks first when it can.
public struct WorkerStallWatch: Sendable {
    public let stallTimeout: Double
    public let limit: Double
    private var lastTicks: UInt64?
    private var lastStage: ReadStage = .starting
    private var lastChange: Double

    public init(stallTimeout: Double, startedAt: Double) {
        self.stallTimeout = stallTimeout
        self.limit = stallTimeout + min(stallTimeout, 10)
        self.lastChange = startedAt
    }

    /// A progress report arrived: progress when the count or the stage moved.
    public mutating func observe(_ progress: WorkerProgress, at time: Double) {
        let stage = progress.stage ?? lastStage
        if progress.ticks != lastTicks || stage != lastStage {
            lastChange = time
        }
        lastTicks = progress.ticks
        lastStage = stage
    }

    /// Other output that shows the run moving (entries read back).
    public mutating func observeOutput(at time: Double) {
        lastChange = time
    }

    /// Why the worker is to be killed at `time`, or nil while it is not stalled.
    public func stalledReason(at time: Double) -> String? {
        let idle = time - lastChange
        guard stallTimeout > 0, idle >= limit else { return nil }
        return "the worker made no progress for \(Int(idle.rounded())) s while \(lastStage.phrase) (stall_timeout \(Self.seconds(stallTimeout)) s) and was killed"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))" : "\(value)"
    }
}
