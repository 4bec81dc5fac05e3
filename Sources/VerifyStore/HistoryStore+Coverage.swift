import GRDB
import GRDBSQLite

/// Which entries of which archive were read back, when, and with which result: the latest read
/// of each entry. Sampling reads it to choose the least recently verified entries.
extension HistoryStore {
    /// One entry's latest read.
    public struct EntryCoverage: Sendable, Equatable {
        public var path: String
        public var verifiedAt: Double
        public var failed: Bool
        public var runID: Int64
        public var digest: String?
        public var size: Int64?
    }

    /// Coverage of one archive.
    public struct ArchiveCoverage: Sendable, Equatable {
        public var archive: String
        /// Entries its manifest lists (nil before the first run with a manifest).
        public var entries: Int?
        /// Entries read back since `since` and found good.
        public var verifiedSince: Int
        /// Entries whose latest read failed.
        public var failed: Int
        /// Entries ever read back.
        public var everVerified: Int
        /// The oldest latest-read time (nil when none was read).
        public var oldestVerifiedAt: Double?
        /// Bytes of the entries counted in `verifiedSince`, and the manifest's declared total.
        public var verifiedBytes: Int64
        public var bytes: Int64?
    }

    /// Forgets an archive's coverage when the file under that name is not the one it was
    /// recorded for. Returns true when it did.
    @discardableResult
    public func resetCoverageIfReplaced(destination: String, archive: String, size: Int64, mtime: Double) throws(StoreError) -> Bool {
        try write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT archive_size, archive_mtime FROM archive_entries WHERE destination = ? AND archive_path = ?",
                arguments: [destination, archive])
            else { return false }
            let storedSize: Int64 = row["archive_size"]
            let storedMtime: Double = row["archive_mtime"]
            if storedSize == size, storedMtime == mtime { return false }
            try db.execute(sql: "DELETE FROM coverage WHERE destination = ? AND archive_path = ?", arguments: [destination, archive])
            try db.execute(sql: "DELETE FROM archive_entries WHERE destination = ? AND archive_path = ?", arguments: [destination, archive])
            return true
        }
    }

    public func entryCoverage(destination: String, archive: String) throws(StoreError) -> [EntryCoverage] {
        try read { db in
            // Columns by position: by name, GRDB lowercases the name on every access, which was
            // half the daemon's time for a run of a 16,000-entry archive.
            let rows = try Row.fetchCursor(
                db, sql: "SELECT entry_path, verified_at, failed, run_id, digest, size FROM coverage WHERE destination = ? AND archive_path = ? ORDER BY entry_path",
                arguments: [destination, archive])
            var entries: [EntryCoverage] = []
            while let row = try rows.next() {
                entries.append(EntryCoverage(path: row[0], verifiedAt: row[1], failed: row[2], runID: row[3], digest: row[4], size: row[5]))
            }
            return entries
        }
    }

    /// Entries of an archive verified (good or failed) since a time.
    public func entriesVerified(destination: String, archive: String, since: Double) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM coverage WHERE destination = ? AND archive_path = ? AND verified_at >= ?",
                arguments: [destination, archive, since]) ?? 0
        }
    }

    /// What sampling needs of each entry of an archive: when it was last verified and whether it
    /// failed (no order, no digests).
    public func entrySamplingState(destination: String, archive: String) throws(StoreError) -> [(path: String, verifiedAt: Double, failed: Bool)] {
        try read { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT entry_path, verified_at, failed FROM coverage WHERE destination = ? AND archive_path = ?",
                arguments: [destination, archive])
            var entries: [(path: String, verifiedAt: Double, failed: Bool)] = []
            while let row = try rows.next() { entries.append((row[0], row[1], row[2])) }
            return entries
        }
    }

    /// What is known of an archive as a whole, for coverage.
    public struct ArchiveCoverageInfo: Sendable, Equatable {
        public var size: Int64
        public var mtime: Double
        public var entries: Int?
        public var cycleStarted: Double?
        public var bytes: Int64?
    }

    public func archiveCoverageInfo(destination: String, archive: String) throws(StoreError) -> ArchiveCoverageInfo? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT archive_size, archive_mtime, entries, cycle_started, bytes FROM archive_entries WHERE destination = ? AND archive_path = ?",
                arguments: [destination, archive]
            ).map {
                ArchiveCoverageInfo(size: $0["archive_size"], mtime: $0["archive_mtime"], entries: $0["entries"], cycleStarted: $0["cycle_started"], bytes: $0["bytes"])
            }
        }
    }

    /// Sets what is known of an archive; nil fields keep their stored value.
    public func setArchiveCoverageInfo(
        destination: String, archive: String, size: Int64, mtime: Double, entries: Int? = nil, cycleStarted: Double? = nil,
        bytes: Int64? = nil
    ) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO archive_entries (destination, archive_path, entries, cycle_started, archive_size, archive_mtime, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(destination, archive_path) DO UPDATE SET
                      entries = coalesce(excluded.entries, entries), cycle_started = coalesce(excluded.cycle_started, cycle_started),
                      bytes = coalesce(excluded.bytes, bytes),
                      archive_size = excluded.archive_size, archive_mtime = excluded.archive_mtime
                    """,
                arguments: [destination, archive, entries, cycleStarted, size, mtime, bytes])
        }
    }

    /// Records entries a run read back (a checkpoint or the run's end).
    ///
    /// A full run of a 16,000-entry archive writes 16,000 rows while its worker reads on both
    /// cores: the row's four changing values are bound straight to SQLite (the destination,
    /// archive, time and run stay bound), not built into an argument array per row.
    public func recordCoverage(
        destination: String, archive: String, runID: Int64, at time: Double,
        entries: [(path: String, failed: Bool, digest: String?, size: Int64?)]
    ) throws(StoreError) {
        try write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO coverage (destination, archive_path, entry_path, verified_at, failed, run_id, digest, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(destination, archive_path, entry_path) DO UPDATE SET
                  previous_digest = CASE WHEN coverage.failed = 0 AND coverage.digest IS NOT NULL THEN coverage.digest ELSE coverage.previous_digest END,
                  previous_run_id = CASE WHEN coverage.failed = 0 AND coverage.digest IS NOT NULL THEN coverage.run_id ELSE coverage.previous_run_id END,
                  verified_at = excluded.verified_at, failed = excluded.failed, run_id = excluded.run_id,
                  digest = excluded.digest, size = excluded.size
                """)
            let raw = statement.sqliteStatement
            // SQLITE_TRANSIENT: SQLite copies each text before the Swift string goes away.
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            func check(_ code: CInt) throws {
                if code != SQLITE_OK && code != SQLITE_DONE {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
            }
            try check(sqlite3_bind_text(raw, 1, destination, -1, transient))
            try check(sqlite3_bind_text(raw, 2, archive, -1, transient))
            try check(sqlite3_bind_double(raw, 4, time))
            try check(sqlite3_bind_int64(raw, 6, runID))
            for entry in entries {
                try check(sqlite3_bind_text(raw, 3, entry.path, -1, transient))
                try check(sqlite3_bind_int(raw, 5, entry.failed ? 1 : 0))
                if let digest = entry.digest {
                    try check(sqlite3_bind_text(raw, 7, digest, -1, transient))
                } else {
                    try check(sqlite3_bind_null(raw, 7))
                }
                if let size = entry.size {
                    try check(sqlite3_bind_int64(raw, 8, size))
                } else {
                    try check(sqlite3_bind_null(raw, 8))
                }
                try check(sqlite3_step(raw))
                try check(sqlite3_reset(raw))
            }
        }
    }

    /// An entry a run read good (it matched its manifest) that reads otherwise than at its last
    /// good read of the same copy of the archive.
    public struct ContentChange: Sendable, Equatable {
        public var path: String
        public var digest: String
        public var previousDigest: String
        public var previousRunID: Int64
    }

    /// The entries of run `runID` whose content changed since their last good read (digests of
    /// the same algorithm only), and marks them failed, so that sampling reads them again first.
    public func contentChanges(destination: String, archive: String, runID: Int64) throws(StoreError) -> [ContentChange] {
        try write { db in
            let condition = """
                destination = ? AND archive_path = ? AND run_id = ? AND failed = 0 AND digest IS NOT NULL AND previous_digest IS NOT NULL AND digest != previous_digest
                  AND substr(digest, 1, instr(digest, ':')) = substr(previous_digest, 1, instr(previous_digest, ':'))
                """
            let rows = try Row.fetchAll(
                db, sql: "SELECT entry_path, digest, previous_digest, previous_run_id FROM coverage WHERE \(condition) ORDER BY entry_path",
                arguments: [destination, archive, runID])
            guard !rows.isEmpty else { return [] }
            try db.execute(sql: "UPDATE coverage SET failed = 1 WHERE \(condition)", arguments: [destination, archive, runID])
            return rows.map { ContentChange(path: $0[0], digest: $0[1], previousDigest: $0[2], previousRunID: $0[3] ?? 0) }
        }
    }

    /// Coverage per archive of a destination, counting reads since `since` as current.
    public func archiveCoverage(destination: String, archives: [String], since: Double) throws(StoreError) -> [ArchiveCoverage] {
        try read { db in
            try archives.map { archive in
                let info = try Row.fetchOne(
                    db, sql: "SELECT entries, bytes FROM archive_entries WHERE destination = ? AND archive_path = ?",
                    arguments: [destination, archive])
                let entries: Int? = info?["entries"]
                let bytes: Int64? = info?["bytes"]
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) AS ever, sum(failed) AS failed,
                          sum(CASE WHEN failed = 0 AND verified_at >= ? THEN 1 ELSE 0 END) AS current,
                          sum(CASE WHEN failed = 0 AND verified_at >= ? THEN coalesce(size, 0) ELSE 0 END) AS current_bytes,
                          min(verified_at) AS oldest
                        FROM coverage WHERE destination = ? AND archive_path = ?
                        """,
                    arguments: [since, since, destination, archive])
                return ArchiveCoverage(
                    archive: archive, entries: entries, verifiedSince: row?["current"] ?? 0, failed: row?["failed"] ?? 0,
                    everVerified: row?["ever"] ?? 0, oldestVerifiedAt: row?["oldest"], verifiedBytes: row?["current_bytes"] ?? 0,
                    bytes: bytes)
            }
        }
    }

    /// Forgets the coverage of archives of a destination that are no longer kept.
    @discardableResult
    public func forgetCoverage(destination: String, keeping archives: [String]) throws(StoreError) -> Int {
        try write { db in
            let placeholders = archives.isEmpty ? "''" : Array(repeating: "?", count: archives.count).joined(separator: ",")
            var arguments: [DatabaseValueConvertible] = [destination]
            arguments += archives
            try db.execute(
                sql: "DELETE FROM coverage WHERE destination = ? AND archive_path NOT IN (\(placeholders))",
                arguments: StatementArguments(arguments))
            return db.changesCount
        }
    }
}
