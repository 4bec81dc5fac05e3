#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VerifyCore

/// Walks a directory (without following symlinks or crossing into other file systems' special
/// files) and describes every entry as a manifest entry, hashing regular files.
struct DirectoryInventory {
    let root: String
    let algorithm: DigestAlgorithm
    /// A file to leave out (the manifest being written), by device and inode.
    let exclude: (dev: UInt64, ino: UInt64)?

    func entries() throws -> [ManifestEntry] {
        var entries = [ManifestEntry]()
        try walk(directory: Array(root.utf8), relative: [], into: &entries)
        return entries
    }

    private func walk(directory: [UInt8], relative: [UInt8], into entries: inout [ManifestEntry]) throws {
        guard let dir = directory.withCString(opendir) else {
            throw CommandError(description: "\(String(decoding: directory, as: UTF8.self)): cannot read the directory: \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names = [[UInt8]]()
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let full = directory + [UInt8(ascii: "/")] + name
            let rel = relative.isEmpty ? name : relative + [UInt8(ascii: "/")] + name
            var info = stat()
            guard full.withCString({ lstat($0, &info) }) == 0 else {
                throw CommandError(description: "\(EntryPath(unnormalized: full)): \(String(cString: strerror(errno)))")
            }
            if let exclude, UInt64(info.st_dev) == exclude.dev, UInt64(info.st_ino) == exclude.ino { continue }
            var entry = ManifestEntry(
                path: EntryPath(normalizing: rel), type: nil, mode: UInt32(info.st_mode) & 0o7777,
                uid: Int64(info.st_uid), gid: Int64(info.st_gid), mtime: Int64(info.st_mtim.tv_sec))
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                entry.type = .file
                entry.size = Int64(info.st_size)
                entry.digests = [try digest(of: full)]
            case S_IFDIR:
                entry.type = .directory
                entries.append(entry)
                try walk(directory: full, relative: rel, into: &entries)
                continue
            case S_IFLNK:
                entry.type = .symlink
                entry.linkTarget = try linkTarget(full)
            case S_IFCHR: entry.type = .characterDevice
            case S_IFBLK: entry.type = .blockDevice
            case S_IFIFO: entry.type = .fifo
            case S_IFSOCK: entry.type = .socket
            default: continue
            }
            entries.append(entry)
        }
    }

    private func digest(of path: [UInt8]) throws -> Digest {
        // Seen as a regular file by lstat; swapped for a FIFO since, it must not block the open.
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW) }
        guard fd >= 0 else {
            throw CommandError(description: "\(EntryPath(unnormalized: path)): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CommandError(description: "\(EntryPath(unnormalized: path)): changed while being read: no longer a regular file")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var hasher = ContentHasher(algorithms: [algorithm])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 << 10, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                throw CommandError(description: "\(EntryPath(unnormalized: path)): read error: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize()[0]
    }

    private func linkTarget(_ path: [UInt8]) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = path.withCString { p in buffer.withUnsafeMutableBytes { readlink(p, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) } }
        guard n >= 0 else { throw CommandError(description: "\(EntryPath(unnormalized: path)): cannot read the link") }
        return Array(buffer[0..<n])
    }
}

extension Array where Element == UInt8 {
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (self + [0]).withUnsafeBytes { try body($0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }
}
