import Foundation
import Synchronization
import VerifyProtocol
import VerifyStore

/// The alert log as subscribers read it: batches straight from the database (read on the
/// history thread), and a wake-up when a new alert is written. Subscribers keep no queue in the
/// daemon, so one that reads nothing costs a suspended task, never memory.
public final class AlertFeed: Sendable {
    let store: HistoryStore
    private struct State {
        var last: Int64
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
        /// Waits cancelled before they were registered.
        var cancelled: Set<UInt64> = []
    }
    private let state: Mutex<State>

    init(store: HistoryStore) throws(StoreError) {
        self.store = store
        state = Mutex(State(last: try store.lastAlertSeq()))
    }

    var lastSeq: Int64 { state.withLock { $0.last } }

    /// Called after an alert is stored: wakes every waiter.
    func published(_ seq: Int64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.last = max(seq, state.last)
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Alerts after `seq` (JSON), oldest first. An alert written before alerts were bounded
    /// (`AlertBounds`) is handed out bounded, so that no subscriber or target chokes on it.
    func batch(after seq: Int64, limit: Int = 100) async -> [(seq: Int64, payload: String)] {
        let store = self.store
        let items = await HistoryExecutor.shared.run { ((try? store.alerts(after: seq, limit: limit)) ?? []).map { Item(seq: $0.seq, payload: $0.payload) } }
        return items.map { item in
            guard item.payload.utf8.count > AlertBounds.maxEncodedBytes,
                  let alert = try? JSONDecoder().decode(Alert.self, from: Data(item.payload.utf8))
            else { return (item.seq, item.payload) }
            return (item.seq, String(decoding: WireProtocol.line(alert.bounded()).dropLast(), as: UTF8.self))
        }
    }

    private struct Item: Sendable {
        var seq: Int64
        var payload: String
    }

    /// Waits until an alert newer than `seq` exists, `seconds` pass, or the task is cancelled.
    func waitForNew(after seq: Int64, seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.published(after: seq) }
            group.addTask { try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
            await group.next()
            group.cancelAll()
        }
    }

    private func published(after seq: Int64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.last > seq || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }
}
