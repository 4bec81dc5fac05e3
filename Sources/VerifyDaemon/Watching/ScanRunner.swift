import Foundation
import Synchronization

/// Runs a destination scan on a thread of its own, so that a filesystem that stops answering
/// (a dead NFS server) holds that thread, never the daemon. A scan that takes longer than the
/// timeout counts as `unavailable`; `threadEnded` is called when the thread finally returns.
enum ScanRunner {
    static let timeout: Double = 30

    static func scan(
        _ destination: DestinationConfiguration, timeout: Double = timeout, threadEnded: @escaping @Sendable () -> Void
    ) async -> ScanOutcome {
        let once = Once()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard once.wait(continuation) else { return }
                let thread = Thread {
                    once.resume(DestinationScanner.scan(destination))
                    threadEnded()
                }
                thread.name = "verifyd-scan"
                thread.start()
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                    once.resume(.unavailable(reason: "\(destination.path): the scan did not finish within \(Int(timeout)) s (a filesystem that does not answer?)"))
                }
            }
        } onCancel: {
            once.resume(.unavailable(reason: "\(destination.path): scan cancelled"))
        }
    }

    /// Resumes the continuation once, from whichever side comes first (the scan, the timeout,
    /// cancellation), even when cancellation comes before the continuation exists.
    private final class Once: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<ScanOutcome, Never>)
            case done(ScanOutcome?)
        }
        private let state = Mutex<State>(.idle)

        /// Stores the continuation; false (after resuming it) when the outcome is already known.
        func wait(_ continuation: CheckedContinuation<ScanOutcome, Never>) -> Bool {
            let early = state.withLock { state -> ScanOutcome?? in
                if case .done(let outcome) = state { return .some(outcome) }
                state = .waiting(continuation)
                return .none
            }
            guard let early else { return true }
            continuation.resume(returning: early ?? .unavailable(reason: "scan cancelled"))
            return false
        }

        func resume(_ outcome: ScanOutcome) {
            let waiting = state.withLock { state -> CheckedContinuation<ScanOutcome, Never>? in
                switch state {
                case .idle:
                    state = .done(outcome)
                    return nil
                case .waiting(let continuation):
                    state = .done(nil)
                    return continuation
                case .done:
                    return nil
                }
            }
            waiting?.resume(returning: outcome)
        }
    }
}
