#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

extension ArchiveIdentity {
    /// The identity of the open file `fd` (named `path`): its stat and the digests of its first
    /// and last 64 KiB, read with pread. Nil when it cannot be read.
    static func of(descriptor fd: Int32, path: String) -> ArchiveIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int64(info.st_size)
        let edge = Int64(edgeLength)
        guard let head = FileBytes.read(fd, at: 0, count: Int(min(size, edge))),
              let tail = FileBytes.read(fd, at: max(0, size - edge), count: Int(min(size, edge))) else { return nil }
        return ArchiveIdentity(
            path: resolved(path), size: size,
            mtimeNanoseconds: Int64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_mtim.tv_nsec),
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            headDigest: sha256(head), tailDigest: sha256(tail))
    }

    private static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = ContentHasher(algorithms: [.sha256])
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()[0].bytes
    }

    /// The path with symlinks and `..` resolved, so that `a.tar` and `/abs/a.tar` are one archive.
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}
