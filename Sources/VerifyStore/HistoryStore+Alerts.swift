import GRDB

/// The alert log: every alert is written here before anything is sent, and delivery reads from
/// it. Sequence numbers come from SQLite's AUTOINCREMENT, so they only grow and are never reused,
/// even after pruning.
extension HistoryStore {
    /// Appends an alert; `encode` turns its sequence number into the stored JSON. Returns the
    /// sequence number.
    @discardableResult
    public func appendAlert(time: Double, kind: String, destination: String, encode: @Sendable (Int64) -> String) throws(StoreError) -> Int64 {
        try write { db in try Self.insertAlert(db, time: time, kind: kind, destination: destination, encode: encode) }
    }

    /// Appends an alert inside a transaction that may also write other things.
    static func insertAlert(_ db: Database, time: Double, kind: String, destination: String, encode: (Int64) -> String) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO alert (time, kind, destination, payload) VALUES (?, ?, ?, '')",
            arguments: [time, kind, destination])
        let seq = db.lastInsertedRowID
        try countAlert(db, kind: kind, destination: destination)
        try db.execute(sql: "UPDATE alert SET payload = ? WHERE seq = ?", arguments: [encode(seq), seq])
        return seq
    }

    /// Stored alerts after `seq`, oldest first: (sequence number, JSON).
    public func alerts(after seq: Int64, limit: Int) throws(StoreError) -> [(seq: Int64, payload: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT seq, payload FROM alert WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit])
                .map { (seq: $0["seq"], payload: $0["payload"]) }
        }
    }

    /// The newest sequence number, 0 when the log is empty.
    public func lastAlertSeq() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM alert") ?? 0 }
    }

    /// The last recorded state of every destination.
    public func destinationStates() throws(StoreError) -> [String: String] {
        try read { db in
            var states: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, state FROM destination_state") {
                states[row["name"]] = row["state"]
            }
            return states
        }
    }

    public func setDestinationState(_ name: String, state: String, since: Double) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO destination_state (name, state, since) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET state = excluded.state, since = excluded.since",
                arguments: [name, state, since])
        }
    }

    /// The last alert delivered to a push target, nil when it never got one.
    public func alertCursor(_ target: String) throws(StoreError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM alert_cursor WHERE target = ?", arguments: [target]) }
    }

    public func setAlertCursor(_ target: String, seq: Int64) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO alert_cursor (target, seq) VALUES (?, ?) ON CONFLICT(target) DO UPDATE SET seq = excluded.seq",
                arguments: [target, seq])
        }
    }

    /// Deletes alerts older than `cutoff` (their sequence numbers are never reused).
    @discardableResult
    public func pruneAlerts(before cutoff: Double) throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM alert WHERE time < ?", arguments: [cutoff])
            return db.changesCount
        }
    }
}
