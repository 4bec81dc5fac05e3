import CDaemonSupport
import Foundation

/// The history database's own thread. The `Daemon` actor runs on it, so its state and its
/// SQLite calls are one serial world that never blocks a thread of Swift's cooperative pool;
/// other readers and writers of the history (alert subscribers, forwarders' cursors) hop to it
/// with `run`. Jobs run in the order they come.
///
/// `@unchecked Sendable`: its only mutable state, the job list, is guarded by `condition`.
final class HistoryExecutor: SerialExecutor, @unchecked Sendable {
    static let shared = HistoryExecutor()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in
            _ = verifyd_name_thread("verifyd-history")
            self.loop()
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        add { job.runSynchronously(on: executor) }
    }

    /// Runs `body` on the history thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            add { continuation.resume(returning: body()) }
        }
    }

    private func add(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(work)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for work in batch { work() }
        }
    }
}
