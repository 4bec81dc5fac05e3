import ArchiveReading
import Foundation
import Synchronization

/// The worker's side of the daemon's stall watchdog: a thread that reports the run's progress
/// (its stage, and a count that rises with every block read, entry parsed or file checked) on
/// stdout twice a second, from the first stage (reading the manifest) to the last (checking a
/// restore). The count only rises when the run moves: a worker blocked anywhere keeps
/// reporting the same count, and the daemon kills it after `stall_timeout`.
final class WorkerHeartbeat: Sendable {
    let progress = ReadProgress()
    private let stopped = Atomic<Bool>(false)

    /// Starts the reporting thread; `emit` writes one progress message.
    func start(interval: Double = 0.5, emit: @escaping @Sendable (WorkerProgress) -> Void) {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                emit(WorkerProgress(
                    entries: progress.entryCount, bytesRead: progress.bytesRead, ticks: progress.tickCount, stage: progress.stage))
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.name = "verifyd-heartbeat"
        thread.start()
    }

    /// No more reports (the result follows).
    func stop() { stopped.store(true, ordering: .relaxed) }
}
