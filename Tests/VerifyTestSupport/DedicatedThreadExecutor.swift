import Foundation
import Synchronization

/// A task executor that runs every job on a thread of its own pool, and starts one more thread
/// whenever a job would otherwise wait: a job that blocks (a test waiting for a child process,
/// polling, reading a socket) holds one of these threads, never one of the cooperative pool's
/// (as wide as the machine has cores: 2 on CI), so the tasks that only await go on.
/// Threads stay for the life of the process; there are as many as jobs ever blocked at once.
public final class DedicatedThreadExecutor: TaskExecutor {
    /// The one instance the tests share.
    public static let shared = DedicatedThreadExecutor()

    /// Set on its threads, to tell them apart (`isCurrentThread`). Not the thread's name: on
    /// Linux a new thread takes its creator's, and Foundation reads that one back.
    private static let marker: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private struct State {
        var jobs: [UnownedJob] = []
        var head = 0
        var idle = 0
        var pending: Int { jobs.count - head }
    }
    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    private init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let startThread = state.withLock { state -> Bool in
            state.jobs.append(job)
            return state.pending > state.idle
        }
        if startThread {
            let thread = Thread { [self] in
                pthread_setspecific(Self.marker, UnsafeRawPointer(bitPattern: 1))
                work()
            }
            thread.stackSize = 1 << 20
            thread.start()
        } else {
            wakeUp.signal()
        }
    }

    /// Whether the calling thread is one of this executor's.
    public static var isCurrentThread: Bool { pthread_getspecific(marker) != nil }

    private func work() {
        while true {
            let job = state.withLock { state -> UnownedJob? in
                guard state.pending > 0 else {
                    state.idle += 1
                    return nil
                }
                defer {
                    state.head += 1
                    if state.head > 1024, state.head * 2 > state.jobs.count {
                        state.jobs.removeFirst(state.head)
                        state.head = 0
                    }
                }
                return state.jobs[state.head]
            }
            if let job {
                job.runSynchronously(on: asUnownedTaskExecutor())
                continue
            }
            wakeUp.wait()
            state.withLock { $0.idle -= 1 }
        }
    }
}
