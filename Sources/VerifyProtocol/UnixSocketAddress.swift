#if canImport(Glibc)
import Glibc
#endif

/// The `sockaddr_un` of a Unix socket path, built in one place for every connect, bind and
/// sendto of the project. A leading `@` names an abstract socket (as in `$NOTIFY_SOCKET`): it
/// becomes a NUL byte and the length covers exactly the name, with no trailing NUL.
public enum UnixSocketAddress {
    /// Calls `body` with the address and its length; nil when the path does not fit (107 bytes).
    public static func with<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R? {
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        var address = sockaddr_un()
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}
