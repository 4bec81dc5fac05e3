import GRDB
import GRDBSQLite

/// What a query costs SQLite, for the tests that prove `status` and `history` cost what they
/// return (issue 20): the plan SQLite chose, and how many virtual-machine steps it took.
extension HistoryStore {
    /// The queries of `status`, `history`, `show`, start-up and run ends, named so that the
    /// tests check the very text the store runs.
    enum Query {
        static let runsOfDestination = "SELECT * FROM run WHERE destination = ? ORDER BY id DESC LIMIT ?"
        static let runsOfHost = "SELECT * FROM run ORDER BY id DESC LIMIT ?"
        static let latestRunNotHeld = "SELECT * FROM run WHERE destination = ? AND held_until IS NULL ORDER BY id DESC LIMIT 1"
        static let failuresOfRun = "SELECT * FROM failure WHERE run_id = ? ORDER BY id"
        static let heldRuns = "SELECT * FROM run WHERE held_until IS NOT NULL ORDER BY id"
        static let markUnfinished = "UPDATE run SET verdict = 'interrupted', finished = ?, error = ? WHERE verdict IS NULL"
        /// Each archive's latest run with a verdict (start-up): the ids from the covering
        /// partial index `run_latest_by_archive` (migration v9), then one row per archive.
        static let latestRunPerArchive = """
            SELECT archive_path, archive_size, archive_mtime, coalesce(finished, started), coalesce(verdict, 'interrupted'),
              held_until IS NOT NULL FROM run WHERE id IN (
              SELECT max(id) FROM run WHERE destination = ? AND verdict IS NOT NULL GROUP BY archive_path)
            AND archive_removed IS NULL
            """
        static let previousPassed = """
            SELECT * FROM run WHERE destination = ? AND archive_mtime < ? AND verdict = 'pass'
            ORDER BY archive_mtime DESC, id DESC LIMIT 1
            """
    }

    /// `EXPLAIN QUERY PLAN` of `sql`: one line per step of the plan, as SQLite words it
    /// ("SEARCH run USING INDEX run_by_destination (destination=?)", "SCAN run", ...).
    func queryPlan(_ sql: String, arguments: StatementArguments = []) throws(StoreError) -> [String] {
        try read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    /// Runs `sql` to its end and returns the virtual-machine steps it took (rows read, compared
    /// and returned): the same for a database of a thousand runs and of a hundred thousand when
    /// the query costs what it returns.
    func virtualMachineSteps(_ sql: String, arguments: StatementArguments = []) throws(StoreError) -> Int {
        try read { db in
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(arguments)
            let cursor = try Row.fetchCursor(statement)
            while try cursor.next() != nil {}
            return Int(sqlite3_stmt_status(statement.sqliteStatement, SQLITE_STMTSTATUS_VM_STEP, 0))
        }
    }
}
