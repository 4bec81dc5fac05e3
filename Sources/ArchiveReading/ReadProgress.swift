import Synchronization

/// Counters a reader updates as it goes, read from other threads (the stall watchdog, the
/// daemon's progress reports).
public final class ReadProgress: Sendable {
    /// Rises whenever the parser returns data or a header, or asks for input.
    let ticks = Atomic<UInt64>(0)
    /// Nonzero while the reader waits on the disk (that time is not a stall).
    let waitingOnDisk = Atomic<Int>(0)
    private let entries = Atomic<Int>(0)
    private let stop = Atomic<Bool>(false)
    private let rawBytes = Atomic<Int64>(0)

    public init() {}

    func tick() { ticks.add(1, ordering: .relaxed) }
    func entryStarted() {
        entries.add(1, ordering: .relaxed)
        tick()
    }
    func addRawBytes(_ count: Int) { rawBytes.add(Int64(count), ordering: .relaxed) }

    /// Asks the reader to stop before the next entry (a budget was reached).
    public func requestStop() { stop.store(true, ordering: .relaxed) }
    public var stopRequested: Bool { stop.load(ordering: .relaxed) }

    /// Entries started so far.
    public var entryCount: Int { entries.load(ordering: .relaxed) }
    /// Bytes of the archive file read so far.
    public var bytesRead: Int64 { rawBytes.load(ordering: .relaxed) }
    var tickCount: UInt64 { ticks.load(ordering: .relaxed) }
    var isWaitingOnDisk: Bool { waitingOnDisk.load(ordering: .relaxed) > 0 }
}
