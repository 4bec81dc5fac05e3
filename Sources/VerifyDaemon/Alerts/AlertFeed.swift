import Foundation
import Synchronization
import VerifyProtocol
import VerifyStore

/// The alert log as subscribers read it: batches straight from the database, and a signal when a
/// new alert is written. Subscribers keep no queue in the daemon, so one that reads nothing costs
/// a blocked connection thread, never memory.
public final class AlertFeed: Sendable {
    let store: HistoryStore
    private let condition = NSCondition()
    private let last = Atomic<Int64>(0)

    init(store: HistoryStore) throws(StoreError) {
        self.store = store
        last.store(try store.lastAlertSeq(), ordering: .relaxed)
    }

    var lastSeq: Int64 { last.load(ordering: .relaxed) }

    /// Called after an alert is stored.
    func published(_ seq: Int64) {
        condition.lock()
        last.store(max(seq, last.load(ordering: .relaxed)), ordering: .relaxed)
        condition.broadcast()
        condition.unlock()
    }

    /// Alerts after `seq` (JSON), oldest first. An alert written before alerts were bounded
    /// (`AlertBounds`) is handed out bounded, so that no subscriber or target chokes on it.
    func batch(after seq: Int64, limit: Int = 100) -> [(seq: Int64, payload: String)] {
        ((try? store.alerts(after: seq, limit: limit)) ?? []).map { item in
            guard item.payload.utf8.count > AlertBounds.maxEncodedBytes,
                  let alert = try? JSONDecoder().decode(Alert.self, from: Data(item.payload.utf8))
            else { return item }
            return (item.seq, String(decoding: WireProtocol.line(alert.bounded()).dropLast(), as: UTF8.self))
        }
    }

    /// Waits until an alert newer than `seq` exists, or `seconds` pass.
    func wait(after seq: Int64, seconds: Double) {
        condition.lock()
        defer { condition.unlock() }
        if last.load(ordering: .relaxed) > seq { return }
        _ = condition.wait(until: Date().addingTimeInterval(seconds))
    }
}
