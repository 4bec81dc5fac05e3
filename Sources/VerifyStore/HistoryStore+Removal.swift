import GRDB
import VerifyCore

/// What history keeps of archives that scans no longer find, and of archives whose modification
/// time lies far in the future. An archive that is gone loses its coverage at once; its runs are
/// kept for `history_retention` (the failure record outlives the file), then pruned.
extension HistoryStore {
    /// What forgetting a removed archive deleted.
    public struct RemovalCounts: Sendable, Equatable {
        public var runsMarked: Int
        public var coverageRows: Int

        public init(runsMarked: Int, coverageRows: Int) {
            self.runsMarked = runsMarked
            self.coverageRows = coverageRows
        }
    }

    /// Records that scans no longer find `archive`: its runs are marked removed (so the next
    /// start neither schedules nor reports it, and `prune` lets its newest run go after the
    /// retention), its coverage and future-mtime record are deleted.
    @discardableResult
    public func archiveRemoved(destination: String, archive: String, at time: Double) throws(StoreError) -> RemovalCounts {
        try write { db in
            try db.execute(
                sql: "UPDATE run SET archive_removed = ? WHERE destination = ? AND archive_path = ? AND archive_removed IS NULL AND verdict IS NOT NULL",
                arguments: [time, destination, archive])
            let runs = db.changesCount
            try db.execute(sql: "DELETE FROM coverage WHERE destination = ? AND archive_path = ?", arguments: [destination, archive])
            let coverage = db.changesCount
            try db.execute(sql: "DELETE FROM archive_entries WHERE destination = ? AND archive_path = ?", arguments: [destination, archive])
            try db.execute(sql: "DELETE FROM future_mtime WHERE destination = ? AND archive_path = ?", arguments: [destination, archive])
            return RemovalCounts(runsMarked: runs, coverageRows: coverage)
        }
    }

    /// Archives of a destination whose latest conclusive run (`pass`, `fail` or `error`; an
    /// `interrupted` run proves nothing) did not pass, and that were not removed since.
    public func failingArchives(destination: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT archive_path FROM run WHERE id IN (
                      SELECT max(id) FROM run WHERE destination = ? AND verdict IN (?, ?, ?) GROUP BY archive_path)
                    AND verdict IN (?, ?) AND archive_removed IS NULL ORDER BY archive_path
                    """,
                arguments: StatementArguments([destination] + [Verdict.pass, .fail, .error, .fail, .error].map(\.rawValue)))
        }
    }

    /// One archive first seen with a modification time far in the future.
    public struct FutureMtime: Sendable, Equatable {
        public var archive: String
        public var mtime: Double
        public var firstSeen: Double

        public init(archive: String, mtime: Double, firstSeen: Double) {
            self.archive = archive
            self.mtime = mtime
            self.firstSeen = firstSeen
        }
    }

    /// Remembers when an archive with a future mtime was first seen (one row per archive path).
    public func recordFutureMtime(destination: String, _ record: FutureMtime) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO future_mtime (destination, archive_path, archive_mtime, first_seen) VALUES (?, ?, ?, ?)
                    ON CONFLICT(destination, archive_path) DO UPDATE SET archive_mtime = excluded.archive_mtime, first_seen = excluded.first_seen
                    """,
                arguments: [destination, record.archive, record.mtime, record.firstSeen])
        }
    }

    public func futureMtimes(destination: String) throws(StoreError) -> [FutureMtime] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT archive_path, archive_mtime, first_seen FROM future_mtime WHERE destination = ? ORDER BY archive_path",
                arguments: [destination]
            ).map { FutureMtime(archive: $0[0], mtime: $0[1], firstSeen: $0[2]) }
        }
    }

    /// Deletes coverage and archive records that no kept run stands for (left by a version that
    /// did not forget removed archives, or by runs pruned since). Returns the coverage rows deleted.
    @discardableResult
    public func pruneOrphanedCoverage(destination: String) throws(StoreError) -> Int {
        try write { db in
            func orphans(_ table: String) -> String {
                """
                SELECT archive_path FROM \(table) WHERE destination = ?1
                EXCEPT SELECT archive_path FROM run WHERE destination = ?1 AND archive_removed IS NULL
                """
            }
            try db.execute(
                sql: "DELETE FROM coverage WHERE destination = ?1 AND archive_path IN (\(orphans("coverage")))", arguments: [destination])
            let rows = db.changesCount
            try db.execute(
                sql: "DELETE FROM archive_entries WHERE destination = ?1 AND archive_path IN (\(orphans("archive_entries")))",
                arguments: [destination])
            return rows
        }
    }

    /// Rows per table, for tests and `--log-level debug`.
    public func rowCounts() throws(StoreError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for table in ["run", "failure", "coverage", "archive_entries", "future_mtime", "alert"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            }
            return counts
        }
    }
}
