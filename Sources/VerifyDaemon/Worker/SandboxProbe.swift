import Foundation
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A worker's hidden test mode (`WorkerRequest.probe`): sealed exactly as for a run, the worker
/// tries what an exploited parser would try and reports how each attempt ended, instead of
/// verifying. The daemon never sets it; the sandbox tests do, with the real `verifyd` binary.
public struct SandboxProbe: Codable, Sendable, Equatable {
    /// Files to create or open for writing (appending one byte, never truncating).
    public var write: [String]
    /// Files to unlink.
    public var remove: [String]
    /// Unix stream sockets to connect to (such as the control socket).
    public var connectUnix: [String]
    /// TCP ports on 127.0.0.1 to connect to.
    public var connectTCP: [Int]
    /// Processes to send signal 0 to (permission check only, nothing delivered).
    public var signal: [Int32]
    /// Files to chmod to the mode they already have.
    public var chmod: [String]
    /// Files a child `/bin/sh` appends a byte to (what libarchive's external decompressors
    /// would inherit); the attempt's `errno` is then the shell's exit status.
    public var shellWrite: [String]
    /// Hard links to make: `[existing, new]` (a file outside pulled into the restore folder).
    public var hardLink: [[String]]

    public init(
        write: [String] = [], remove: [String] = [], connectUnix: [String] = [], connectTCP: [Int] = [], signal: [Int32] = [],
        chmod: [String] = [], shellWrite: [String] = [], hardLink: [[String]] = []
    ) {
        self.write = write
        self.remove = remove
        self.connectUnix = connectUnix
        self.connectTCP = connectTCP
        self.signal = signal
        self.chmod = chmod
        self.shellWrite = shellWrite
        self.hardLink = hardLink
    }

    /// Tries each, in the order of the fields.
    func run(sandbox: WorkerSandbox) -> SandboxProbeReport {
        var attempts: [SandboxProbeReport.Attempt] = []
        func record(_ operation: SandboxProbeReport.Operation, _ target: String, _ succeeded: Bool) {
            attempts.append(.init(operation: operation, target: target, errno: succeeded ? 0 : Glibc.errno))
        }
        for path in write {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
            var byte: UInt8 = 0x2A
            let written = fd >= 0 && Glibc.write(fd, &byte, 1) == 1
            record(.write, path, written)
            if fd >= 0 { close(fd) }
        }
        for path in remove { record(.remove, path, unlink(path) == 0) }
        for path in connectUnix {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { record(.connectUnix, path, false); continue }
            record(.connectUnix, path, UnixSocketAddress.with(path) { connect(fd, $0, $1) } == 0)
            close(fd)
        }
        for port in connectTCP {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { record(.connectTCP, "127.0.0.1:\(port)", false); continue }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            record(.connectTCP, "127.0.0.1:\(port)", connected == 0)
            close(fd)
        }
        for pid in signal { record(.signal, "\(pid)", kill(pid, 0) == 0) }
        for path in chmod {
            var info = stat()
            record(.chmod, path, stat(path, &info) == 0 && Glibc.chmod(path, info.st_mode & 0o7777) == 0)
        }
        for pair in hardLink where pair.count == 2 {
            record(.hardLink, pair[1], link(pair[0], pair[1]) == 0)
        }
        // posix_spawn (ChildProcess), not Foundation's Process: that one waits through a
        // socketpair, which the sandbox refuses.
        for path in shellWrite {
            let arguments = ["/bin/sh", "-c", "printf x >> \"$1\"", "sh", path]
            switch ChildProcess.spawn("/bin/sh", arguments: arguments, options: .init(environment: ["PATH=/usr/bin:/bin"])) {
            case .success(let child):
                child.writeInput([])
                child.readOutput { _ in true }
                attempts.append(.init(operation: .shellWrite, target: path, errno: child.wait().exitCode ?? 0))
            case .failure:
                attempts.append(.init(operation: .shellWrite, target: path, errno: -1))
            }
        }
        return SandboxProbeReport(landlockABI: sandbox.landlockABI, seccomp: sandbox.seccomp, attempts: attempts)
    }
}

/// What a probing worker reports: the sandbox it got and each attempt's errno (0: it worked).
public struct SandboxProbeReport: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        case write, remove, connectUnix, connectTCP, signal, chmod, shellWrite, hardLink
    }

    public struct Attempt: Codable, Sendable, Equatable {
        public var operation: Operation
        public var target: String
        public var errno: Int32
    }

    public var landlockABI: Int?
    public var seccomp: Bool
    public var attempts: [Attempt]
}
