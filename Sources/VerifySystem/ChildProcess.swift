import CDaemonSupport

#if canImport(Glibc)
import Glibc
#endif

/// A child process started by `posix_spawn` with a pipe on its stdin and one on its stdout: the
/// one spawner of verifyd (its workers) and verifyd-hooks (the hooks). Nothing of the parent's
/// leaks in: the descriptors from 3 up are closed in the child, and the environment is only
/// what the caller gives. The caller writes the input (`writeInput`), reads the output
/// (`readOutput`), then reaps the child (`wait`), each once.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    /// The write end of the child's stdin.
    public let input: Int32
    /// The read end of the child's stdout (and stderr, with `standardErrorToOutput`).
    public let output: Int32

    /// How the child is started.
    public struct Options: Sendable {
        /// `NAME=value` lines, the child's whole environment.
        public var environment: [String]
        /// The child leads a process group of its own (so that `kill(-pid, ...)` reaches all it starts).
        public var ownProcessGroup = false
        /// No signal blocked and the usual stop signals at their default action in the child,
        /// whatever the parent blocked or ignored. Off: the child inherits the caller's.
        public var defaultSignals = false
        /// stderr goes into the output pipe too; off: the child shares the parent's stderr.
        public var standardErrorToOutput = false
        /// The output pipe's size in bytes, grown when asked (best effort: the default is 64 KiB).
        public var outputPipeSize: Int32?
        /// Attempts, 50 ms apart, while the executable is busy (ETXTBSY: still open for writing,
        /// as a hook being installed is).
        public var attempts = 1

        public init(environment: [String]) { self.environment = environment }
    }

    /// Why a child could not be started.
    public struct SpawnError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Stage: Sendable, Equatable {
            /// A pipe could not be made (the descriptor limit).
            case pipe
            /// posix_spawn failed (ENOENT, EACCES, E2BIG...).
            case spawn
        }

        public var stage: Stage
        public var code: Int32
        public var description: String { errnoText(code) }

        public init(stage: Stage, code: Int32) {
            self.stage = stage
            self.code = code
        }
    }

    /// Starts `executable` with `arguments` (the first one is its argv[0]).
    public static func spawn(_ executable: String, arguments: [String], options: Options) -> Result<ChildProcess, SpawnError> {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard verifyd_pipe_cloexec(&input) == 0 else { return .failure(SpawnError(stage: .pipe, code: errno)) }
        guard verifyd_pipe_cloexec(&output) == 0 else {
            let code = errno
            close(input[0]); close(input[1])
            return .failure(SpawnError(stage: .pipe, code: code))
        }
        if let size = options.outputPipeSize { _ = verifyd_pipe_grow(output[1], size) }
        var pid: pid_t = 0
        let spawned = withSpawnSettings(options, input: input[0], output: output[1]) { actions, attributes in
            var result: Int32 = 0
            for attempt in 1...max(1, options.attempts) {
                result = withCStrings(arguments) { argv in
                    withCStrings(options.environment) { envp in posix_spawn(&pid, executable, actions, attributes, argv, envp) }
                }
                guard result == ETXTBSY, attempt < options.attempts else { break }
                usleep(50_000)
            }
            return result
        }
        close(input[0])
        close(output[1])
        guard spawned == 0 else {
            close(input[1]); close(output[0])
            return .failure(SpawnError(stage: .spawn, code: spawned))
        }
        return .success(ChildProcess(pid: pid, input: input[1], output: output[0]))
    }

    /// The file actions (the pipes on 0, 1 and maybe 2; everything from 3 up closed) and the
    /// attributes (process group, signals) of `options`, for the time of `body`.
    private static func withSpawnSettings(
        _ options: Options, input: Int32, output: Int32,
        _ body: (UnsafePointer<posix_spawn_file_actions_t>, UnsafePointer<posix_spawnattr_t>) -> Int32
    ) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        if options.standardErrorToOutput { posix_spawn_file_actions_adddup2(&actions, output, 2) }
        _ = verifyd_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags: Int32 = 0
        if options.ownProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        if options.defaultSignals {
            flags |= POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
            var noSignals = sigset_t()
            sigemptyset(&noSignals)
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM] { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        return body(&actions, &attributes)
    }

    /// Writes `bytes` to the child's stdin, then closes it. Stops early when the child does not
    /// read them all (see `writeAll(_:to:)`).
    public func writeInput(_ bytes: [UInt8]) {
        Self.writeAll(bytes, to: input)
        close(input)
    }

    /// Writes `bytes` to the pipe `descriptor` until done or the reader is gone. A reader that
    /// exited never kills the caller with SIGPIPE, which is blocked on this thread for the write
    /// and, when the write raised it, taken back. Returns false when the reader was gone.
    @discardableResult
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        var brokenPipe = false
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                if n < 0, errno == EPIPE { brokenPipe = true }
                if n <= 0 { break }
                offset += n
            }
        }
        if brokenPipe, sigismember(&previous, SIGPIPE) == 0 {
            var now = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipeSignal, nil, &now)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        return !brokenPipe
    }

    /// Reads the child's output chunk by chunk until its end (or a read error), or until `body`
    /// returns false; then closes it.
    public func readOutput(_ body: (ArraySlice<UInt8>) -> Bool) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 || !body(chunk[0..<count]) { break }
        }
        close(output)
    }

    /// Waits for the child to end, and reaps it.
    public func wait() -> ChildExit {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return ChildExit(waitStatus: status)
    }
}

/// How a child process ended.
public enum ChildExit: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// From a `waitpid` status.
    public init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}

extension ChildExit {
    /// The exit code, or nil when a signal ended the child.
    public var exitCode: Int32? {
        if case .exited(let code) = self { return code }
        return nil
    }

    /// The signal that ended the child, or nil when it exited.
    public var signal: Int32? {
        if case .signaled(let signal) = self { return signal }
        return nil
    }
}
