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

    /// The shell's way of saying it: the exit code, or 128 plus the signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}
