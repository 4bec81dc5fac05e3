#if canImport(Glibc)
import Glibc
#endif

/// Key files and keyring folders: owned by root or this process's user, and neither readable
/// nor writable by group or others, else refused with why. Their content is read here, once,
/// and never echoed in a message.
public enum KeyFile {
    /// Most bytes of a key file (an identity file is 200 bytes a key).
    static let sizeLimit = 1 << 20

    /// The bytes of the key file at `path`; `what` names it in messages ("age_identity").
    public static func read(_ path: String, what: String) throws(DecryptionError) -> [UInt8] {
        let fd: Int32
        switch DestinationFile.open(path, followingSymlink: true) {
        case .success(let opened): fd = opened
        case .failure(let problem): throw DecryptionError(.key, "\(what) \(path) \(problem.reason)")
        }
        defer { close(fd) }
        try checkOwnership(fd: fd, path: path, what: what)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw DecryptionError(.key, "\(what) \(path) is not readable: \(String(cString: strerror(errno)))") }
            if n == 0 { return bytes }
            bytes += chunk[..<n]
            guard bytes.count <= sizeLimit else { throw DecryptionError(.key, "\(what) \(path) is larger than \(sizeLimit) bytes: not a key file") }
        }
    }

    /// Checks a keyring folder (`gpg_home`) as a key file is checked; returns it unchanged.
    public static func checkFolder(_ path: String, what: String) throws(DecryptionError) -> String {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DecryptionError(.key, "\(what) \(path) is not a readable folder: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try checkOwnership(fd: fd, path: path, what: what)
        return path
    }

    private static func checkOwnership(fd: Int32, path: String, what: String) throws(DecryptionError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DecryptionError(.key, "\(what) \(path) cannot be examined: \(String(cString: strerror(errno)))") }
        if info.st_uid != 0, info.st_uid != geteuid() {
            throw DecryptionError(.key, "\(what) \(path) belongs to uid \(info.st_uid), neither root nor this process's user: refused (chown it)")
        }
        if info.st_mode & 0o077 != 0 {
            let mode = String(info.st_mode & 0o7777, radix: 8)
            throw DecryptionError(.key, "\(what) \(path) is open to its group or others (mode \(mode)): refused, a key must be private (chmod go=)")
        }
    }
}
