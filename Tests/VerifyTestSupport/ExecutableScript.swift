import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes a script that tests then execute. The file is written through a descriptor opened
/// with O_CLOEXEC: a child forked meanwhile by another test (they run in parallel) cannot keep
/// it open for writing, which would make the exec fail with ETXTBSY ("Text file busy").
public enum ExecutableScript {
    /// Writes `text` to `path` with `mode` (0o755 unless a test wants a script that a check
    /// should refuse, such as one writable by group).
    public static func write(_ text: String, to path: String, mode: mode_t = 0o755) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o700)
        guard fd >= 0 else { throw ToolError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ToolError(description: "\(path): \(String(cString: strerror(errno)))") }
            offset += n
        }
        fchmod(fd, mode)
    }
}
