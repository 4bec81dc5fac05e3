import GRDB
import VerifyCore

/// One row of the `run` table: one verification of one archive. A run with no `verdict` is in
/// progress (or was, when the daemon died: the next start marks it `interrupted`).
public struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var destination: String
    public var archivePath: String
    public var archiveSize: Int64
    /// Modification time of the archive, Unix seconds.
    public var archiveMtime: Double
    /// `algorithm:hex` of the whole archive, when it was computed.
    public var archiveDigest: String?
    /// Why the run happened: `arrival`, `schedule` or `request`.
    public var trigger: String
    /// Unix seconds.
    public var started: Double
    public var finished: Double?
    /// `pass`, `fail`, `error`, `interrupted`; nil while running.
    public var verdict: Verdict?
    public var sample: String
    /// The sample seed, as its bit pattern (SQLite integers are signed).
    public var seed: Int64
    public var entriesSeen: Int
    public var entriesSelected: Int
    public var entriesChecked: Int
    public var bytesRead: Int64
    public var durationSeconds: Double
    public var failureCount: Int
    public var error: String?
    /// Why the run ended early without being wrong (its budget), if it did.
    public var note: String?
    /// A failing verdict not confirmed yet: it counts, and is alerted, only if the archive is
    /// unchanged at this time (Unix seconds). nil once confirmed, and for every other run.
    public var heldUntil: Double?
    /// The identities of the archive and its companions as the held run read them (JSON).
    public var heldIdentities: String?

    public init(
        destination: String, archivePath: String, archiveSize: Int64, archiveMtime: Double, trigger: String,
        started: Double, sample: String, seed: UInt64
    ) {
        self.destination = destination
        self.archivePath = archivePath
        self.archiveSize = archiveSize
        self.archiveMtime = archiveMtime
        self.trigger = trigger
        self.started = started
        self.sample = sample
        self.seed = Int64(bitPattern: seed)
        entriesSeen = 0
        entriesSelected = 0
        entriesChecked = 0
        bytesRead = 0
        durationSeconds = 0
        failureCount = 0
    }

    public var seedValue: UInt64 { UInt64(bitPattern: seed) }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// One row of the `failure` table: one finding of a run.
public struct FailureRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "failure"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var runId: Int64
    /// The entry, shown with non-UTF-8 bytes escaped; nil for findings about the whole archive.
    public var path: String?
    public var kind: String
    public var expected: String?
    public var actual: String?

    public init(runId: Int64, path: String?, kind: String, expected: String?, actual: String?) {
        self.runId = runId
        self.path = path
        self.kind = kind
        self.expected = expected
        self.actual = actual
    }
}

/// How a run ended, written when it finishes.
public struct RunOutcome: Sendable, Equatable {
    public var verdict: Verdict
    public var finished: Double
    public var entriesSeen: Int
    public var entriesSelected: Int
    public var entriesChecked: Int
    public var bytesRead: Int64
    public var durationSeconds: Double
    public var archiveDigest: String?
    public var error: String?
    public var note: String?
    /// A failing verdict held until the archive is still: when it is confirmed, and the files'
    /// identities (JSON) to compare then (`RunRecord.heldUntil`).
    public var heldUntil: Double?
    public var heldIdentities: String?

    public init(
        verdict: Verdict, finished: Double, entriesSeen: Int = 0, entriesSelected: Int = 0, entriesChecked: Int = 0,
        bytesRead: Int64 = 0, durationSeconds: Double = 0, archiveDigest: String? = nil, error: String? = nil, note: String? = nil
    ) {
        self.note = note
        self.verdict = verdict
        self.finished = finished
        self.entriesSeen = entriesSeen
        self.entriesSelected = entriesSelected
        self.entriesChecked = entriesChecked
        self.bytesRead = bytesRead
        self.durationSeconds = durationSeconds
        self.archiveDigest = archiveDigest
        self.error = error
    }
}
