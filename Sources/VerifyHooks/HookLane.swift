import Foundation
import Logging
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// One hook's own line of alerts: a bounded queue, a thread and a cursor on disk
/// (`cursors/NAME` in the runner's state folder). A hook sees its alerts at least once and in
/// order, and a hook that fails or is retried (exit 75) delays only its own lane, never
/// another hook's. The runner that starts a lane's thread waits for it to end (`join`) before
/// it returns: the thread uses the runner until its last line.
final class HookLane: @unchecked Sendable {
    struct Item {
        var alert: Alert
        var json: [UInt8]
        /// Flood control's decision for this alert: send it, and the how-manieth it is.
        var send: Bool
        var count: Int
    }

    let path: String
    var name: String { (path as NSString).lastPathComponent }
    /// Strong: the lane's thread reads it to its end. The runner drops its lanes once they
    /// have ended (`HookRunner.endLanes`), which breaks the cycle.
    private let runner: HookRunner
    private let condition = NSCondition()
    /// The lane's thread has left its loop (set under `condition`).
    private var ended = false
    private var queue: [Item] = []
    /// The queue overflowed: alerts after the cursor are fetched from the daemon's log.
    private var behind = false
    /// The last alert this lane handled. Written by the lane's thread only, under `condition`.
    private var cursor: Int64
    private var savedCursor: Int64
    /// Alerts kept in memory per lane; past this the lane reads them back from the log.
    static let queueLimit = 256

    init(path: String, cursor: Int64, runner: HookRunner) {
        self.path = path
        self.cursor = cursor
        savedCursor = cursor
        self.runner = runner
    }

    func start() {
        let thread = Thread { [self] in
            self.loop()
            condition.lock()
            ended = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "verifyd-hook-lane"
        thread.start()
    }

    /// Wakes the lane's thread so that it sees the runner stopping now rather than at its
    /// next timed wake.
    func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the lane's thread has ended (after its current hook, once the runner stops).
    func join() {
        condition.lock()
        while !ended { condition.wait() }
        condition.unlock()
    }

    /// Takes an alert from the subscription; never blocks.
    func offer(_ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        guard item.alert.seq > cursor, !behind else { return }
        if queue.count >= Self.queueLimit {
            queue.removeAll()
            behind = true
        } else {
            queue.append(item)
        }
        condition.signal()
    }

    private func loop() {
        while !runner.isStopping {
            condition.lock()
            while queue.isEmpty, !behind, !runner.isStopping { _ = condition.wait(until: Date().addingTimeInterval(1)) }
            let next = queue.isEmpty ? nil : queue.removeFirst()
            let fetching = next == nil && behind
            condition.unlock()
            if let next {
                process(next)
            } else if fetching {
                catchUp()
            }
        }
    }

    /// Reads the alerts after the cursor back from the daemon's log until there are none.
    private func catchUp() {
        runner.logger.warning("hook lane fell behind; reading its alerts back from the log", metadata: ["hook": "\(path)", "alert.seq": "\(cursor)"])
        while !runner.isStopping {
            let items: [Item]
            do {
                items = try runner.fetch(after: cursor)
            } catch {
                runner.logger.warning("cannot read alerts back from the log; retrying", metadata: ["hook": "\(path)", "error": "\(error)"])
                runner.pause(2)
                continue
            }
            if items.isEmpty {
                // Caught up: take alerts from the subscription again. One that arrived between
                // the read and now is read once more below and then skipped by its number.
                condition.lock()
                behind = false
                condition.unlock()
                for item in (try? runner.fetch(after: cursor)) ?? [] { offer(item) }
                return
            }
            for item in items { process(item) }
        }
    }

    /// Runs the hook for one alert when it applies, then moves the cursor past it.
    private func process(_ item: Item) {
        guard item.alert.seq > cursor else { return }
        let applies = HookDirectory.applies(name: name, kind: item.alert.kind.rawValue)
        var metadata: Logger.Metadata = ["alert.seq": "\(item.alert.seq)", "alert.kind": "\(item.alert.kind.rawValue)", "hook": "\(path)"]
        if applies, item.send {
            if !FileManager.default.fileExists(atPath: path) {
                runner.logger.debug("hook removed; alert skipped for it", metadata: metadata)
            } else if let problem = HookDirectory.problem(with: path) {
                metadata["reason"] = "\(problem)"
                runner.logger.error("hook refused; alert skipped for it", metadata: metadata)
            } else if !runner.runWithRetries(path, item: item, metadata: metadata) {
                return  // stopping: this alert is handled again at the next start
            }
        }
        condition.lock()
        cursor = item.alert.seq  // written under the lock: `offer` reads it from the subscription's thread
        condition.unlock()
        // A run moves the cursor on disk; skipped alerts only now and then (they are skipped
        // again after a restart).
        if (applies && item.send) || cursor - savedCursor >= 64, !HookExecution.isShuttingDown {
            do {
                try runner.state.save(cursor: item.alert.seq, hook: name)
                savedCursor = item.alert.seq
            } catch {
                runner.logger.error("cannot write a hook's cursor", metadata: ["hook": "\(path)", "error": "\(error)"])
            }
        }
    }
}
