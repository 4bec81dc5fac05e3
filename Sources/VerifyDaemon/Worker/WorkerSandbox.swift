import CDaemonSupport

#if canImport(Glibc)
import Glibc
#endif

/// What a worker gives up before it opens anything of a destination (docs/security.md): it can
/// read, but write only in its restore folder, and it can open no socket. The kernel enforces
/// it: `no_new_privs`, Landlock for files (and TCP, abstract sockets and signals, as far as the
/// kernel's Landlock ABI goes), a seccomp filter for sockets, io_uring and ptrace. A kernel
/// without Landlock, or a service filter that blocks its calls, leaves the seccomp part only:
/// the daemon says so in a warning at start (`availability`), and runs go on.
public struct WorkerSandbox: Sendable, Equatable {
    /// The Landlock ABI in force; nil when the kernel offers none.
    public var landlockABI: Int?
    /// Why there is no Landlock (`ENOSYS`: not built; `EOPNOTSUPP`: disabled at boot; `EPERM`:
    /// a seccomp filter such as systemd's `SystemCallFilter=` refuses the call).
    public var landlockUnavailable: String?
    /// Whether the seccomp filter is in place.
    public var seccomp: Bool

    /// Seals this process. Call while it has one thread: Landlock and seccomp bind the calling
    /// thread and the threads it starts later, never threads that already run.
    public static func apply(writable: String?) throws(WorkerSandboxError) -> WorkerSandbox {
        var outcome = verifyd_sandbox_outcome()
        let status = writable.map { verifyd_sandbox_worker($0, &outcome) } ?? verifyd_sandbox_worker(nil, &outcome)
        guard status == 0 else {
            throw WorkerSandboxError(
                step: WorkerSandboxError.Step(rawValue: outcome.failed_step) ?? .unknown, errno: outcome.failed_errno, writable: writable)
        }
        return WorkerSandbox(outcome)
    }

    /// What `apply` would get on this kernel, for the daemon's log at start (applies nothing).
    public static func availability() -> WorkerSandbox {
        var error: Int32 = 0
        var outcome = verifyd_sandbox_outcome()
        outcome.landlock_abi = verifyd_landlock_abi(&error)
        outcome.landlock_errno = error
        outcome.seccomp = verifyd_seccomp_available()
        return WorkerSandbox(outcome)
    }

    init(_ outcome: verifyd_sandbox_outcome) {
        landlockABI = outcome.landlock_abi > 0 ? Int(outcome.landlock_abi) : nil
        landlockUnavailable = outcome.landlock_abi > 0 ? nil : Self.errnoName(outcome.landlock_errno)
        seccomp = outcome.seccomp != 0
    }

    public init(landlockABI: Int?, landlockUnavailable: String?, seccomp: Bool) {
        self.landlockABI = landlockABI
        self.landlockUnavailable = landlockUnavailable
        self.seccomp = seccomp
    }

    static func errnoName(_ code: Int32) -> String {
        switch code {
        case ENOSYS: return "ENOSYS (the kernel has no Landlock)"
        case EOPNOTSUPP: return "EOPNOTSUPP (Landlock is disabled: add landlock to the kernel's lsm= list)"
        case EPERM: return "EPERM (a seccomp filter refuses landlock_create_ruleset: allow it in the unit's SystemCallFilter=)"
        default: return errnoText(code)
        }
    }
}

/// A sandbox step the kernel offers but that failed: the worker does not run unsealed.
public struct WorkerSandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Step: Int32, Sendable {
        case unknown = 0
        case threads = 1
        case noNewPrivileges = 2
        case landlockRuleset = 3
        case landlockRootRule = 4
        case landlockWritableRule = 5
        case landlockRestrict = 6
        case seccomp = 7
    }

    public var step: Step
    public var errno: Int32
    public var writable: String?

    public var description: String {
        let reason = errno == 0 ? "" : ": \(errnoText())"
        let what: String
        switch step {
        case .unknown: what = "an unknown step failed"
        case .threads: what = "the worker already runs several threads, which the sandbox would not cover"
        case .noNewPrivileges: what = "prctl(PR_SET_NO_NEW_PRIVS) failed"
        case .landlockRuleset: what = "landlock_create_ruleset failed"
        case .landlockRootRule: what = "the Landlock rule for / failed"
        case .landlockWritableRule: what = "the Landlock rule for the restore folder \(writable ?? "") failed"
        case .landlockRestrict: what = "landlock_restrict_self failed"
        case .seccomp: what = "the seccomp filter could not be installed"
        }
        return "cannot sandbox the worker: \(what)\(reason)"
    }
}
