import GRDB
import VerifyCore

/// Totals that only grow, for Prometheus' `rate()` and `increase()`: runs by verdict, bytes and
/// entries verified, alerts by kind, and the time of the latest passing run, per destination.
/// They are kept in their own table, added to in the same transaction as the run or alert they
/// count, so they survive restarts and the pruning of old runs and alerts.
public struct DestinationCounters: Sendable, Equatable {
    /// Finished runs by verdict (`pass`, `fail`, `error`, `interrupted`).
    public var runs: [String: Int64] = [:]
    public var readBytes: Int64 = 0
    public var entriesChecked: Int64 = 0
    /// Alerts raised, by kind.
    public var alerts: [String: Int64] = [:]
    /// When the latest passing run ended (Unix seconds).
    public var lastPassTime: Double?

    public init() {}
}

extension HistoryStore {
    /// The destination's counters (zeros for one that never ran).
    public func counters(destination: String) throws(StoreError) -> DestinationCounters {
        try read { db in
            var counters = DestinationCounters()
            let rows = try Row.fetchAll(
                db, sql: "SELECT name, label, value FROM metric_counter WHERE destination = ?", arguments: [destination])
            for row in rows {
                let label: String = row["label"]
                let value: Double = row["value"]
                switch row["name"] as String {
                case "runs": counters.runs[label] = Int64(value)
                case "alerts": counters.alerts[label] = Int64(value)
                case "read_bytes": counters.readBytes = Int64(value)
                case "entries_checked": counters.entriesChecked = Int64(value)
                case "last_pass_time": counters.lastPassTime = value
                default: break
                }
            }
            return counters
        }
    }

    /// Adds the runs that `condition` selects (with a verdict, not held) to the counters.
    static func countRuns(_ db: Database, where condition: String, arguments: StatementArguments = []) throws {
        let selected = "FROM run WHERE (\(condition)) AND verdict IS NOT NULL AND held_until IS NULL"
        let add = "ON CONFLICT (destination, name, label) DO UPDATE SET value = value + excluded.value"
        try db.execute(
            sql: "INSERT INTO metric_counter SELECT destination, 'runs', verdict, count(*) \(selected) GROUP BY destination, verdict \(add)",
            arguments: arguments)
        for (name, column) in [("read_bytes", "bytes_read"), ("entries_checked", "entries_checked")] {
            try db.execute(
                sql: "INSERT INTO metric_counter SELECT destination, '\(name)', '', total(coalesce(\(column), 0)) \(selected) GROUP BY destination \(add)",
                arguments: arguments)
        }
        try db.execute(
            sql: """
                INSERT INTO metric_counter SELECT destination, 'last_pass_time', '', max(finished) \(selected) AND verdict = '\(Verdict.pass.rawValue)'
                GROUP BY destination ON CONFLICT (destination, name, label) DO UPDATE SET value = max(value, excluded.value)
                """,
            arguments: arguments)
    }

    /// Adds one alert of `kind` to the destination's counters.
    static func countAlert(_ db: Database, kind: String, destination: String) throws {
        try db.execute(
            sql: """
                INSERT INTO metric_counter VALUES (?, 'alerts', ?, 1)
                ON CONFLICT (destination, name, label) DO UPDATE SET value = value + 1
                """,
            arguments: [destination, kind])
    }
}
