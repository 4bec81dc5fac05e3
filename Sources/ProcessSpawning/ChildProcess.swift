import CDaemonSupport

#if canImport(Glibc)
import Glibc
#endif

/// A child process started by `posix_spawn`, its stdin a pipe (or a descriptor of the caller's),
/// its stdout a pipe, its stderr the parent's, the stdout pipe or a pipe of its own: the one
/// spawner of verifyd (its workers), verifyd-hooks (the hooks) and the engine (gpg). Nothing of
/// the parent's leaks in: the descriptors from 3 up are closed in the child, and the environment
/// is only what the caller gives. The caller writes the input (`writeInput`), reads the output
/// (`readOutput`), then reaps the child (`wait`), each once.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    /// The write end of the child's stdin; nil when `Options.standardInput` gave a descriptor.
    public let input: Int32?
    /// The read end of the child's stdout (and stderr, with `StandardError.output`).
    public let output: Int32
    /// The read end of the child's stderr with `StandardError.pipe`, else nil.
    public let errors: Int32?

    /// How the child is started.
    public struct Options: Sendable {
        /// `NAME=value` lines, the child's whole environment.
        public var environment: [String]
        /// What the child reads as its stdin.
        public var standardInput = StandardInput.pipe
        /// Where the child's stderr goes.
        public var standardError = StandardError.inherited
        /// The child leads a process group of its own (so that `kill(-pid, ...)` reaches all it starts).
        public var ownProcessGroup = false
        /// No signal blocked and every signal at its default action in the child, whatever the
        /// parent blocked or ignored. Off: the child inherits the caller's.
        public var defaultSignals = false
        /// The output pipe's size in bytes, grown when asked (best effort: the default is 64 KiB).
        public var outputPipeSize: Int32?
        /// Attempts, 50 ms apart, while the executable is busy (ETXTBSY: still open for writing,
        /// as a hook being installed is).
        public var attempts = 1

        public init(environment: [String]) { self.environment = environment }
    }

    /// What the child reads as its stdin.
    public enum StandardInput: Sendable, Equatable {
        /// A pipe the caller writes (`input`, `writeInput`).
        case pipe
        /// A descriptor of the caller's (a file), which it keeps and closes.
        case descriptor(Int32)
    }

    /// Where the child's stderr goes.
    public enum StandardError: Sendable, Equatable {
        /// The parent's stderr.
        case inherited
        /// The output pipe, mixed with stdout.
        case output
        /// A pipe of its own (`errors`), grown to `size` bytes when given (best effort).
        case pipe(size: Int32?)
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
        var descriptors: SpawnDescriptors
        switch SpawnDescriptors.open(options) {
        case .success(let opened): descriptors = opened
        case .failure(let error): return .failure(error)
        }
        var pid: pid_t = 0
        let spawned = withSpawnSettings(options, descriptors) { actions, attributes in
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
        descriptors.closeChildEnds()
        guard spawned == 0 else {
            descriptors.closeParentEnds()
            return .failure(SpawnError(stage: .spawn, code: spawned))
        }
        return .success(ChildProcess(pid: pid, input: descriptors.input, output: descriptors.output, errors: descriptors.errors))
    }

    /// The file actions (0, 1 and maybe 2 from `descriptors`; everything from 3 up closed) and the
    /// attributes (process group, signals) of `options`, for the time of `body`.
    private static func withSpawnSettings(
        _ options: Options, _ descriptors: SpawnDescriptors,
        _ body: (UnsafePointer<posix_spawn_file_actions_t>, UnsafePointer<posix_spawnattr_t>) -> Int32
    ) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, descriptors.standardInput, 0)
        posix_spawn_file_actions_adddup2(&actions, descriptors.standardOutput, 1)
        if let standardError = descriptors.standardError { posix_spawn_file_actions_adddup2(&actions, standardError, 2) }
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
            var everySignal = sigset_t()
            sigfillset(&everySignal)
            posix_spawnattr_setsigdefault(&attributes, &everySignal)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        return body(&actions, &attributes)
    }
}
