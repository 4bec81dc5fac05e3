import ArchiveReading
import VerifyCore

/// What the daemon asks a worker process to verify, sent as one JSON object on its stdin.
public struct WorkerRequest: Codable, Sendable, Equatable {
    public var archivePath: String
    /// Path of a manifest file, when the manifest is beside the archive.
    public var manifestPath: String?
    /// Name of an entry holding the manifest, when it is inside the archive.
    public var manifestEntry: String?
    /// The manifest format, or nil to detect it.
    public var manifestFormat: ManifestFormat?
    public var archiveDigestPath: String?
    public var stripComponents: Int
    public var strict: Bool
    public var sample: SamplePolicy
    /// Decimal, so all 64 bits survive JSON.
    public var seed: String
    public var stallTimeout: Double
    public var memoryLimit: Int64
    /// What history knows of the archive's entries: the sample is then chosen least recently
    /// verified first. Nil for a plain seeded sample.
    public var coverage: [CoverageItem]?
    /// Entries verified good since then are done for the current coverage cycle.
    public var coverageCycleStart: Double?
    /// Runs of this archive within the destination's `coverage_window`: the worker grows the
    /// sample to entries / runs once it has read the manifest (nil: no window).
    public var coverageRunsInWindow: Double?
    /// Restore mode: the (empty) scratch folder to extract into.
    public var restoreDirectory: String?
    public var restoreLimit: Int64?
    /// Bytes a restore leaves free on its file system; nil: the default (`RestoreReserve`).
    public var restoreReserve: Int64?
    /// CPU niceness and I/O class the worker takes before it reads.
    public var nice: Int?
    public var ioClass: WorkerIOClass?
    /// The gzip decoder; nil: the default.
    public var inflater: GzipBackend?
    /// 1 or 2 (hash on a second core); nil: the default.
    public var threads: Int?
    /// `raw`: the file is one stream, never an archive; nil: `auto`.
    public var formatPolicy: ArchiveFormatPolicy?
    /// The run's budget.
    public var maxSeconds: Double?
    public var maxBytes: Int64?
    /// Whether the manifest must carry a signature by one of `trustedKeys` (nil: off).
    public var manifestSignature: ManifestSignaturePolicy?
    /// Paths of the trusted minisign or signify public key files.
    public var trustedKeys: [String]?
    /// The seek index the daemon keeps for this archive (`SeekIndexShelf`), read only: a sample
    /// reads through it when it still describes the archive.
    public var seekIndexPath: String?
    /// Record a seek index on a complete sequential read (when the kept one does not describe
    /// the archive); it comes back in `WorkerResult.seekIndex`.
    public var recordsSeekIndex: Bool?
    /// Keys of an encrypted archive (age, OpenPGP), when the destination names any.
    public var keys: WorkerKeys?
    /// Tests only: probe the sandbox instead of verifying (`SandboxProbe`).
    public var probe: SandboxProbe?

    public init(
        archivePath: String, manifestPath: String?, manifestEntry: String?, manifestFormat: ManifestFormat?,
        archiveDigestPath: String?, stripComponents: Int, strict: Bool, sample: SamplePolicy, seed: UInt64,
        stallTimeout: Double, memoryLimit: Int64
    ) {
        self.archivePath = archivePath
        self.manifestPath = manifestPath
        self.manifestEntry = manifestEntry
        self.manifestFormat = manifestFormat
        self.archiveDigestPath = archiveDigestPath
        self.stripComponents = stripComponents
        self.strict = strict
        self.sample = sample
        self.seed = String(seed)
        self.stallTimeout = stallTimeout
        self.memoryLimit = memoryLimit
    }
}

/// One JSON line a worker writes on its stdout: progress as it goes, then one result. The
/// entries it read back go in `CheckedEntryLine`s between them.
public struct WorkerMessage: Codable, Sendable, Equatable {
    public var progress: WorkerProgress?
    public var result: WorkerResult?
    /// The answer to a `WorkerRequest.probe`, in place of a result.
    public var probe: SandboxProbeReport?

    public init(progress: WorkerProgress? = nil, result: WorkerResult? = nil, probe: SandboxProbeReport? = nil) {
        self.progress = progress
        self.result = result
        self.probe = probe
    }
}

/// One entry's coverage as the daemon hands it to a worker.
public struct CoverageItem: Codable, Sendable, Equatable {
    public var path: String
    public var verifiedAt: Double?
    public var failed: Bool

    public init(path: String, verifiedAt: Double?, failed: Bool) {
        self.path = path
        self.verifiedAt = verifiedAt
        self.failed = failed
    }
}

/// One entry a run read back, and whether it was bad.
public struct CheckedEntry: Sendable, Equatable {
    public var path: String
    public var failed: Bool
    /// `algorithm:hex` of the content read, and its size.
    public var digest: String?
    public var size: Int64?

    public init(path: String, failed: Bool, digest: String? = nil, size: Int64? = nil) {
        self.path = path
        self.failed = failed
        self.digest = digest
        self.size = size
    }
}

public struct WorkerProgress: Codable, Sendable, Equatable {
    public var entries: Int
    public var bytesRead: Int64
    /// Rises with every step of progress (the daemon's stall watchdog compares it).
    public var ticks: UInt64?
    /// What the worker is doing.
    public var stage: ReadStage?

    public init(entries: Int, bytesRead: Int64, ticks: UInt64? = nil, stage: ReadStage? = nil) {
        self.entries = entries
        self.bytesRead = bytesRead
        self.ticks = ticks
        self.stage = stage
    }
}

/// How the verification ended, as the worker saw it.
public struct WorkerResult: Codable, Sendable, Equatable {
    public var verdict: Verdict
    public var entriesSeen: Int
    public var entriesSelected: Int
    public var entriesChecked: Int
    public var bytesRead: Int64
    public var durationSeconds: Double
    /// `algorithm:hex` of the whole file, when it was computed.
    public var archiveDigest: String?
    public var error: String?
    /// At most `failureLimit` failures; `failureCount` counts them all.
    public var failures: [WorkerFailure]
    public var failureCount: Int
    /// Entries the manifest lists (nil without a manifest).
    public var manifestEntries: Int?
    /// Sum of the sizes the manifest declares, when it declares every entry's.
    public var manifestBytes: Int64?
    /// The run stopped at its budget, before the end of the archive (why).
    public var budgetReached: String?
    /// The manifest's signature verified: by which key, and minisign's trusted comment.
    public var signature: String?
    /// The seek index recorded on this run, encoded (`SeekIndex.encoded`) in base64: the daemon
    /// decodes and keeps it (`SeekIndexShelf`). Nil when none was recorded.
    public var seekIndex: String?
    /// What the run did with the seek index (`SeekIndexUse.summary`), for the daemon's log.
    public var seekIndexNote: String?

    public static let failureLimit = 10_000
}

public struct WorkerFailure: Codable, Sendable, Equatable {
    public var path: String?
    public var kind: String
    public var expected: String?
    public var actual: String?
}
