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
    private let currentStage = Atomic<Int>(0)

    public init() {}

    /// Counts one step of progress (a block read, an entry parsed, a file checked).
    public func tick() { ticks.add(1, ordering: .relaxed) }
    func entryStarted() {
        entries.add(1, ordering: .relaxed)
        tick()
    }
    func addRawBytes(_ count: Int) { rawBytes.add(Int64(count), ordering: .relaxed) }

    /// Entries and bytes back to zero, for the next pass over the archive (the manifest was
    /// taken out of it on a first one). Ticks and stage go on.
    public func resetCounts() {
        entries.store(0, ordering: .relaxed)
        rawBytes.store(0, ordering: .relaxed)
    }

    /// Asks the reader to stop before the next entry (a budget was reached).
    public func requestStop() { stop.store(true, ordering: .relaxed) }
    public var stopRequested: Bool { stop.load(ordering: .relaxed) }

    /// Entries started so far.
    public var entryCount: Int { entries.load(ordering: .relaxed) }
    /// Bytes of the archive file read so far.
    public var bytesRead: Int64 { rawBytes.load(ordering: .relaxed) }
    /// Rises with every step of progress: a watchdog compares it over time.
    public var tickCount: UInt64 { ticks.load(ordering: .relaxed) }
    /// What the run is doing now.
    public var stage: ReadStage {
        get { ReadStage.allCases[currentStage.load(ordering: .relaxed)] }
        set {
            currentStage.store(ReadStage.allCases.firstIndex(of: newValue) ?? 0, ordering: .relaxed)
            tick()
        }
    }
    var isWaitingOnDisk: Bool { waitingOnDisk.load(ordering: .relaxed) > 0 }
}

/// The stages of one run, in order: a watchdog that sees no progress names the stage it stopped in.
public enum ReadStage: String, Codable, Sendable, CaseIterable {
    case starting
    case manifest
    case archiveDigest = "archive_digest"
    case manifestInArchive = "manifest_in_archive"
    case opening
    case sampling
    case reading
    case checkingRestore = "checking_restore"

    /// "reading the manifest", for a reason given to people.
    public var phrase: String {
        switch self {
        case .starting: "starting"
        case .manifest: "reading the manifest"
        case .archiveDigest: "reading the archive digest file"
        case .manifestInArchive: "reading the manifest out of the archive"
        case .opening: "opening the archive"
        case .sampling: "choosing the sample"
        case .reading: "reading the archive"
        case .checkingRestore: "checking the restored files"
        }
    }
}
