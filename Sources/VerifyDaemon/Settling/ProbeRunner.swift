import Foundation
import Synchronization

/// Runs `WriterCheck.probe` on a thread of its own, so that a filesystem that stops answering
/// holds that thread, never the daemon: after `timeout` (or on cancellation) the answer is nil.
enum ProbeRunner {
    static let timeout: Double = 30

    static func probe(_ paths: [String], timeout: Double = timeout) async -> ArchiveProbe? {
        let slot = Slot()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                slot.wait(continuation)
                let thread = Thread { slot.resume(WriterCheck.probe(paths)) }
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
