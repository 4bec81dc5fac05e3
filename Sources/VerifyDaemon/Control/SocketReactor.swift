import CDaemonSupport
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The one thread that waits on sockets for the daemon: tasks ask it to be told when a
/// descriptor is readable or writable (or a deadline passes), and it polls all of them at once.
/// The control socket's listener and connections and the alert forwarders' sockets are
/// non-blocking, so no task ever blocks in `recv`, `send` or `accept`, and a connection costs a
/// suspended task, not a thread.
final class SocketReactor: Sendable {
    enum Readiness: Sendable, Equatable {
        /// The descriptor is ready (or has an error or hang-up for the caller's next call to see).
        case ready
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
    }

    private struct Waiter {
        var fd: Int32
        var events: Int16
        var deadline: ContinuousClock.Instant?
        var continuation: CheckedContinuation<Readiness, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
        /// Waits cancelled before they were registered.
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())
    /// A pipe (read end, write end), written to wake the thread when the set of waiters changes.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    /// The daemon's reactor, started on first use.
    static let shared = SocketReactor()

    private init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) != 0 { fatalError("verifyd: cannot create a pipe: \(String(cString: strerror(errno)))") }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL, 0) | O_NONBLOCK)
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        let thread = Thread { [self] in
            _ = verifyd_name_thread("verifyd-sockets")
            self.loop()
        }
        thread.start()
    }

    /// Waits until `fd` has one of `events` (POLLIN, POLLOUT), `timeout` seconds pass, or the
    /// task is cancelled.
    func wait(_ fd: Int32, for events: Int16, timeout: Double?) async -> Readiness {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int64(max(0, $0) * 1000)) }
        let readiness = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Readiness, Never>) in
                let registered = state.withLock { state -> Bool in
                    guard state.cancelled.remove(id) == nil else { return false }
                    state.waiters[id] = Waiter(fd: fd, events: events, deadline: deadline, continuation: continuation)
                    return true
                }
                if registered { poke() } else { continuation.resume(returning: .cancelled) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.continuation.resume(returning: .cancelled)
        }
        state.withLock { _ = $0.cancelled.remove(id) }
        return readiness
    }

    private func poke() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // a full pipe already wakes the thread
    }

    private func loop() {
        while true {
            let (ids, descriptors, timeout) = state.withLock { state in
                let ids = Array(state.waiters.keys)
                let descriptors = ids.map { pollfd(fd: state.waiters[$0]!.fd, events: state.waiters[$0]!.events, revents: 0) }
                let nearest = state.waiters.values.compactMap(\.deadline).min()
                return (ids, descriptors, nearest.map { Self.milliseconds(until: $0) } ?? -1)
            }
            var polled = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)] + descriptors
            let count = poll(&polled, nfds_t(polled.count), timeout)
            if count < 0, errno != EINTR { Thread.sleep(forTimeInterval: 0.01) }
            if polled[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 256)
                while drain.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
            }
            resume(ids, Array(polled.dropFirst()))
        }
    }

    /// Hands each ready or timed-out waiter its answer (outside the lock).
    private func resume(_ ids: [UInt64], _ polled: [pollfd]) {
        let now = ContinuousClock.now
        var answers: [(CheckedContinuation<Readiness, Never>, Readiness)] = []
        state.withLock { state in
            for (id, result) in zip(ids, polled) {
                guard let waiter = state.waiters[id] else { continue }
                if result.revents != 0 {
                    answers.append((waiter.continuation, .ready))
                } else if let deadline = waiter.deadline, deadline <= now {
                    answers.append((waiter.continuation, .timedOut))
                } else {
                    continue
                }
                state.waiters[id] = nil
            }
        }
        for (continuation, readiness) in answers { continuation.resume(returning: readiness) }
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, 60_000))
    }
}
