import CDaemonSupport
import Foundation
import Synchronization
import VerifyDaemon

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
        var stdinPipe: [Int32] = [0, 0]
        var outputPipe: [Int32] = [0, 0]
        guard verifyd_pipe_cloexec(&stdinPipe) == 0 else { return failed("cannot create a pipe", started) }
        guard verifyd_pipe_cloexec(&outputPipe) == 0 else {
            close(stdinPipe[0]); close(stdinPipe[1])
            return failed("cannot create a pipe", started)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)
        // Nothing of the runner's leaks into a hook: no socket, no state file.
        _ = verifyd_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var pid: pid_t = 0
        let arguments = [path] + extra
        let environmentLines = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var spawned: Int32 = 0
        // ETXTBSY: another process still holds the file open for writing (a hook being
        // installed, or a descriptor inherited across a concurrent fork): wait a little.
        for attempt in 0..<10 {
            spawned = withCStrings(arguments) { argv in
                withCStrings(environmentLines) { envp in posix_spawn(&pid, path, &actions, &attributes, argv, envp) }
            }
            guard spawned == ETXTBSY, attempt < 9 else { break }
            usleep(50_000)
        }
        close(stdinPipe[0])
        close(outputPipe[1])
        guard spawned == 0 else {
            close(stdinPipe[1]); close(outputPipe[0])
            var outcome = failed("cannot start: \(String(cString: strerror(spawned)))", started)
            outcome.notStarted = true
            return outcome
        }

        // The timeout: TERM to the group, KILL 5 s later.
        let group = pid
        running.withLock { _ = $0.insert(group) }
        defer { running.withLock { _ = $0.remove(group) } }
        let timedOut = Atomic<Bool>(false)
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + timeout)
        timer.setEventHandler {
            timedOut.store(true, ordering: .relaxed)
            kill(-group, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { kill(-group, SIGKILL) }
        }
        timer.resume()
        defer { timer.cancel() }

        // stdin on its own thread, so a hook that never reads cannot block us.
        let writer = stdinPipe[1]
        let inputCopy = input
        Thread {
            // A hook that exits without reading its stdin must not kill the caller with
            // SIGPIPE: blocked on this thread, the write fails with EPIPE instead.
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            inputCopy.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(writer, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(writer)
        }.start()

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(outputPipe[0], $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            if output.count < outputLimit { output += chunk[0..<min(n, outputLimit - output.count)] }
        }
        close(outputPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let signal = status & 0x7f
        return Outcome(
            status: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal,
            timedOut: timedOut.load(ordering: .relaxed), output: String(decoding: output, as: UTF8.self),
            seconds: Date().timeIntervalSince(started))
    }

    private static func failed(_ message: String, _ started: Date) -> Outcome {
        Outcome(status: 127, signal: nil, timedOut: false, output: message, seconds: Date().timeIntervalSince(started))
    }
}
