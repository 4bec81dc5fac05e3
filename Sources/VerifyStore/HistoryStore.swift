import Foundation
import GRDB
import Synchronization
import VerifyCore

/// The run history: one SQLite file in WAL mode, opened once for the process's life.
public final class HistoryStore: Sendable {
    public let path: String
    private let pool: DatabasePool
    private let readCounter = Atomic<Int>(0)
    /// Read transactions so far: the tests that prove a request reads no history once what it
    /// shows is kept count them.
    public var reads: Int { readCounter.load(ordering: .relaxed) }
    /// Failures stored per run; the rest are counted in `failure_count` only.
    public static let failureLimit = 10_000

    /// Opens (or creates) the database and applies pending migrations.
    public init(path: String) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try HistoryMigrations.migrator.migrate(pool)
        } catch {
            throw StoreError(path: path, message: "cannot open the history database: \(error)")
        }
    }

    /// Names of the migrations applied, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try HistoryMigrations.migrator.appliedMigrations(db) }
    }

    /// Marks every run left without a verdict (the daemon died while it ran) as `interrupted`.
    /// Returns how many there were.
    @discardableResult
    public func markUnfinishedRunsInterrupted(at now: Double, reason: String) throws(StoreError) -> Int {
        try write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE verdict IS NULL")
            try db.execute(
                sql: Query.markUnfinished,
                arguments: [now, reason])
            for id in ids { try Self.countRuns(db, where: "id = ?", arguments: [id]) }
            return ids.count
        }
    }

    /// Records that a run started; returns it with its id.
    public func start(_ run: RunRecord) throws(StoreError) -> RunRecord {
        try write { db in
            try run.inserted(db)
        }
    }

    /// Records how a run ended, with its failures (at most `failureLimit` of them), in one transaction.
    public func finish(runID: Int64, outcome: RunOutcome, failures: [FailureRecord], failureCount: Int) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE run SET verdict = ?, finished = ?, entries_seen = ?, entries_selected = ?,
                      entries_checked = ?, bytes_read = ?, duration_seconds = ?, archive_digest = coalesce(?, archive_digest),
                      error = ?, failure_count = ?, note = ?, held_until = ?, held_identities = ?
                    WHERE id = ?
                    """,
                arguments: [
                    outcome.verdict.rawValue, outcome.finished, outcome.entriesSeen, outcome.entriesSelected,
                    outcome.entriesChecked, outcome.bytesRead, outcome.durationSeconds, outcome.archiveDigest,
                    outcome.error, failureCount, outcome.note, outcome.heldUntil, outcome.heldIdentities, runID,
                ])
            for var failure in failures.prefix(Self.failureLimit) {
                failure.runId = runID
                try failure.insert(db)
            }
            // A held verdict counts when it is confirmed (or interrupted).
            try Self.countRuns(db, where: "id = ?", arguments: [runID])
        }
    }

    /// The newest runs of a destination (all destinations when nil), newest first.
    public func runs(destination: String?, limit: Int) throws(StoreError) -> [RunRecord] {
        try read { db in
            if let destination {
                return try RunRecord.fetchAll(
                    db, sql: Query.runsOfDestination, arguments: [destination, limit])
            }
            return try RunRecord.fetchAll(db, sql: Query.runsOfHost, arguments: [limit])
        }
    }

    public func run(id: Int64) throws(StoreError) -> RunRecord? {
        try read { db in try RunRecord.fetchOne(db, key: id) }
    }

    public func failures(runID: Int64) throws(StoreError) -> [FailureRecord] {
        try read { db in
            try FailureRecord.fetchAll(db, sql: Query.failuresOfRun, arguments: [runID])
        }
    }

    /// The newest finished run of each archive of a destination, except archives removed since.
    public func latestFinishedRunPerArchive(destination: String) throws(StoreError) -> [RunRecord] {
        try read { db in
            try RunRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM run WHERE id IN (
                      SELECT max(id) FROM run WHERE destination = ? AND verdict IS NOT NULL GROUP BY archive_path)
                    AND archive_removed IS NULL
                    """,
                arguments: [destination])
        }
    }

    /// What start-up needs of the newest finished run of each archive of a destination (as
    /// `latestFinishedRunPerArchive`), read column by column: decoding 100,000 whole `RunRecord`s
    /// was most of a start-up with that history.
    public struct LatestRun: Sendable, Equatable {
        public var archivePath: String
        public var archiveSize: Int64
        public var archiveMtime: Double
        public var finished: Double
        public var verdict: Verdict
        public var held: Bool
    }

    public func latestRunPerArchive(destination: String) throws(StoreError) -> [LatestRun] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: Query.latestRunPerArchive,
                arguments: [destination]
            ).map { LatestRun(archivePath: $0[0], archiveSize: $0[1], archiveMtime: $0[2], finished: $0[3], verdict: Verdict(rawValue: $0[4]) ?? .interrupted, held: $0[5]) }
        }
    }

    /// The newest passed run of the archive that came before one modified at `mtime`: the newest
    /// archive (by modification time) older than it, another file or the same path's previous
    /// version.
    public func previousPassedArchiveRun(destination: String, before mtime: Double) throws(StoreError) -> RunRecord? {
        try read { db in
            try RunRecord.fetchOne(
                db,
                sql: Query.previousPassed,
                arguments: [destination, mtime])
        }
    }

    /// Whether this archive (path, size and modification time) had a finished run before `runID`.
    public func hasEarlierRun(destination: String, archive: String, size: Int64, mtime: Double, before runID: Int64) throws(StoreError) -> Bool {
        try read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM run WHERE destination = ? AND archive_path = ? AND archive_size = ?
                      AND archive_mtime = ? AND id < ? AND verdict IS NOT NULL)
                    """,
                arguments: [destination, archive, size, mtime, runID]) ?? false
        }
    }

    /// Deletes a destination's runs that finished before `cutoff`, except the newest run of each
    /// archive still there (an archive removed since loses that one too). Returns how many runs
    /// were deleted.
    @discardableResult
    public func prune(destination: String, finishedBefore cutoff: Double) throws(StoreError) -> Int {
        try write { db in
            try db.execute(
                sql: """
                    DELETE FROM run WHERE destination = ? AND finished IS NOT NULL AND finished < ?
                      AND (archive_removed IS NOT NULL
                        OR id NOT IN (SELECT max(id) FROM run WHERE destination = ? AND verdict IS NOT NULL GROUP BY archive_path))
                    """,
                arguments: [destination, cutoff, destination])
            return db.changesCount
        }
    }

    /// How many runs the database holds.
    public func runCount() throws(StoreError) -> Int {
        try read { db in try RunRecord.fetchCount(db) }
    }

    func read<T>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        readCounter.add(1, ordering: .relaxed)
        do {
            return try pool.read(body)
        } catch {
            throw StoreError(path: path, message: "read failed: \(error)")
        }
    }

    func write<T>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw StoreError(path: path, message: "write failed: \(error)")
        }
    }
}
