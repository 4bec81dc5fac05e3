import Foundation
import Synchronization
import VerifySystem

#if canImport(Glibc)
import Glibc
#endif

/// Runs one hook: its own process group, the alert JSON on stdin, stdout and stderr collected
/// (the first 16 KiB), a timeout after which the group gets SIGTERM and, 5 s later, SIGKILL.
/// Never through a shell: the alert's text reaches the hook only as data.
public enum HookExecution {
    public struct Outcome: Sendable, Equatable {
        /// Exit status, or nil when the hook was killed by a signal.
        public var status: Int32?
        public var signal: Int32?
        public var timedOut: Bool
        public var output: String
        public var seconds: Double
        /// The hook could not be started (E2BIG, ENOENT, EACCES...): a failure, retried.
        public var notStarted = false

        /// 75 (EX_TEMPFAIL): the hook could not deliver now and wants to be run again; or it
        /// could not be started at all.
        public var wantsRetry: Bool { status == 75 || notStarted }
        public var succeeded: Bool { status == 0 }
    }

    static let outputLimit = 16 << 10
    /// Process groups of the hooks running now.
    private static let running = Mutex<Set<pid_t>>([])

    private static let shuttingDown = Atomic<Bool>(false)
    /// `terminateAll` was called: hooks that end now may have been killed.
    public static var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }

    /// Sends SIGTERM to every running hook's process group (when the runner stops).
    public static func terminateAll() {
        shuttingDown.store(true, ordering: .relaxed)
        for group in running.withLock({ $0 }) { kill(-group, SIGTERM) }
    }

    /// `arguments` follow the program's name (a hook gets none).
    public static func run(_ path: String, arguments extra: [String] = [], input: [UInt8], environment: [String: String], timeout: Double) -> Outcome {
        let started = Date()
        var options = ChildProcess.Options(environment: environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        options.ownProcessGroup = true
        options.defaultSignals = true
        options.standardError = .output
        // ETXTBSY: another process still holds the file open for writing (a hook being
        // installed, or a descriptor inherited across a concurrent fork): wait a little.
        options.attempts = 10
        let child: ChildProcess
        switch ChildProcess.spawn(path, arguments: [path] + extra, options: options) {
        case .success(let spawned): child = spawned
        case .failure(let error) where error.stage == .pipe: return failed("cannot create a pipe", started)
        case .failure(let error):
            var outcome = failed("cannot start: \(error)", started)
            outcome.notStarted = true
            return outcome
        }

        // The timeout: TERM to the group, KILL 5 s later.
        let group = child.pid
        running.withLock { _ = $0.insert(group) }
        defer { running.withLock { _ = $0.remove(group) } }
        // `terminateAll` raised the flag, then signalled the groups it found: one started in
        // between is signalled here.
        if isShuttingDown { kill(-group, SIGTERM) }
        let timedOut = Atomic<Bool>(false)
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + timeout)
        timer.setEventHandler {
            timedOut.store(true, ordering: .relaxed)
            kill(-group, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
                // Only a group still running: once reaped, its number may be another's.
                running.withLock { if $0.contains(group) { _ = kill(-group, SIGKILL) } }
            }
        }
        timer.resume()
        defer { timer.cancel() }

        // stdin on its own thread, so a hook that never reads cannot block us (nor a hook that
        // exits without reading it kill us with SIGPIPE: `writeInput` blocks it).
        Thread { child.writeInput(input) }.start()

        var output: [UInt8] = []
        child.readOutput { chunk in
            if output.count < outputLimit { output += chunk.prefix(outputLimit - output.count) }
            return true
        }
        let status = child.wait()
        return Outcome(
            status: status.exitCode, signal: status.signal,
            timedOut: timedOut.load(ordering: .relaxed), output: String(decoding: output, as: UTF8.self),
            seconds: Date().timeIntervalSince(started))
    }

    private static func failed(_ message: String, _ started: Date) -> Outcome {
        Outcome(status: 127, signal: nil, timedOut: false, output: message, seconds: Date().timeIntervalSince(started))
    }
}
