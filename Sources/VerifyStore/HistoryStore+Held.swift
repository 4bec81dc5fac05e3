import GRDB
import VerifyCore

/// Failing runs held until their archive is still (`RunRecord.heldUntil`): confirmed together
/// with their alert, or turned into `interrupted`.
extension HistoryStore {
    /// The runs whose failing verdict is not confirmed yet, oldest first.
    public func heldRuns() throws(StoreError) -> [RunRecord] {
        try read { db in
            try RunRecord.fetchAll(db, sql: Query.heldRuns)
        }
    }

    /// The destination's newest run, leaving out failing verdicts not confirmed yet.
    public func latestRunNotHeld(destination: String) throws(StoreError) -> RunRecord? {
        try read { db in
            try RunRecord.fetchOne(
                db, sql: Query.latestRunNotHeld,
                arguments: [destination])
        }
    }

    /// Confirms a held verdict and appends its alert in one transaction, so that a daemon killed
    /// at any moment neither loses the alert nor raises it twice. `encode` turns the alert's
    /// sequence number into its JSON. Returns the sequence number; nil when the run is not held
    /// (any more).
    public func confirmHeldRun(
        id: Int64, alertTime: Double, kind: String, destination: String, encode: @Sendable (Int64) -> String
    ) throws(StoreError) -> Int64? {
        try write { db in
            try db.execute(sql: "UPDATE run SET held_until = NULL, held_identities = NULL WHERE id = ? AND held_until IS NOT NULL", arguments: [id])
            guard db.changesCount == 1 else { return nil }
            try Self.countRuns(db, where: "id = ?", arguments: [id])
            return try Self.insertAlert(db, time: alertTime, kind: kind, destination: destination, encode: encode)
        }
    }

    /// A held verdict that did not hold: the run becomes `interrupted` with the reason, and its
    /// findings (made on a file that was changing) are dropped.
    public func interruptHeldRun(id: Int64, reason: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE run SET verdict = ?, error = ?, failure_count = 0, held_until = NULL, held_identities = NULL
                    WHERE id = ? AND held_until IS NOT NULL
                    """,
                arguments: [Verdict.interrupted.rawValue, reason, id])
            guard db.changesCount == 1 else { return }
            try db.execute(sql: "DELETE FROM failure WHERE run_id = ?", arguments: [id])
            try Self.countRuns(db, where: "id = ?", arguments: [id])
        }
    }
}
