import GRDB

/// The reads behind `verifyctl report`: a destination's finished runs within a window, each
/// bounded, with the count of what the bound left out.
extension HistoryStore {
    /// The destination's finished runs since `since` whose verdict counts (held ones are left
    /// out), newest first, at most `limit`; and how many there are in all.
    public func finishedRuns(destination: String, since: Double, limit: Int) throws(StoreError) -> (runs: [RunRecord], total: Int) {
        try read { db in
            let filter = "destination = ? AND verdict IS NOT NULL AND held_until IS NULL AND finished >= ?"
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM run WHERE \(filter)", arguments: [destination, since]) ?? 0
            let runs = try RunRecord.fetchAll(
                db, sql: "SELECT * FROM run WHERE \(filter) ORDER BY id DESC LIMIT ?", arguments: [destination, since, limit])
            return (runs, total)
        }
    }

    /// The destination's `fail` and `error` runs since `since` (confirmed ones), newest first, at
    /// most `limit`; and how many there are in all.
    public func failingRuns(destination: String, since: Double, limit: Int) throws(StoreError) -> (runs: [RunRecord], total: Int) {
        try read { db in
            let filter = "destination = ? AND verdict IN ('fail', 'error') AND held_until IS NULL AND finished >= ?"
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM run WHERE \(filter)", arguments: [destination, since]) ?? 0
            let runs = try RunRecord.fetchAll(
                db, sql: "SELECT * FROM run WHERE \(filter) ORDER BY id DESC LIMIT ?", arguments: [destination, since, limit])
            return (runs, total)
        }
    }

    /// A run's first `limit` findings.
    public func failures(runID: Int64, limit: Int) throws(StoreError) -> [FailureRecord] {
        try read { db in
            try FailureRecord.fetchAll(
                db, sql: "SELECT * FROM failure WHERE run_id = ? ORDER BY id LIMIT ?", arguments: [runID, limit])
        }
    }
}
