import Foundation
import Synchronization

/// Runs `WriterCheck.probe` on a thread of its own, so that a filesystem that stops answering
/// holds that thread, never the daemon: after `timeout` (or on cancellation, or while an earlier
/// probe of the same archive has not returned) the answer is nil.
enum ProbeRunner {
    static let timeout: Double = 30

    /// Archives whose probe thread has not returned (a hung filesystem): not probed again until
    /// it does, so that a dead mount holds one thread per archive, not one per attempt.
    private static let inFlight = Mutex<Set<String>>([])

    static func probe(_ paths: [String], timeout: Double = timeout) async -> ArchiveProbe? {
        let key = paths.first ?? ""
        guard inFlight.withLock({ $0.insert(key).inserted }) else { return nil }
        let slot = Slot()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                slot.wait(continuation)
                let thread = Thread {
                    let probe = WriterCheck.probe(paths)
                    _ = inFlight.withLock { $0.remove(key) }
                    slot.resume(probe)
                }
                thread.name = "verifyd-probe"
                thread.start()
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { slot.resume(nil) }
            }
        } onCancel: {
            slot.resume(nil)
        }
    }

    /// Resumes the continuation once, from whichever side comes first.
    private final class Slot: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<ArchiveProbe?, Never>?, done: Bool)>((nil, false))

        func wait(_ continuation: CheckedContinuation<ArchiveProbe?, Never>) {
            let early = state.withLock { state -> Bool in
                if state.done { return true }
                state.continuation = continuation
                return false
            }
            if early { continuation.resume(returning: nil) }
        }

        func resume(_ probe: ArchiveProbe?) {
            let waiting = state.withLock { state -> CheckedContinuation<ArchiveProbe?, Never>? in
                defer { state.continuation = nil; state.done = true }
                return state.done ? nil : state.continuation
            }
            waiting?.resume(returning: probe)
        }
    }
}
