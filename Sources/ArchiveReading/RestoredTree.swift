import Foundation
import VerifyCore

/// Feeds the files of a restore folder to a visitor (an `ArchiveCheck`) as if they were entries
/// of an archive: names relative to the folder, types, sizes, modes, owners, mtimes and symlink
/// targets from `fstatat`, content read back from disk. This is the check of the restore itself.
/// The walk holds one directory descriptor at a time and names files relative to it, so that a
/// tree nested deeper than PATH_MAX is read whole.
public enum RestoredTree {
    public static func feed(_ root: String, into visitor: some EntryVisitor, progress: ReadProgress? = nil) {
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        // Pre-order, names sorted: a folder, then what is in it, then its next sibling.
        var stack: [(names: [[CChar]], next: Int, relative: [UInt8])] = [(sorted(DirectoryNames.list(fd)), 0, [])]
        while let level = stack.last {
            if level.next == level.names.count {
                stack.removeLast()
                if stack.isEmpty { break }
                let parent = DirectoryNames.openParent(fd)
                close(fd)
                fd = parent
                guard fd >= 0 else { return }
                continue
            }
            let name = level.names[level.next]
            stack[stack.count - 1].next += 1
            progress?.tick()
            let bytes = DirectoryNames.bytes(name)
            let raw = level.relative.isEmpty ? bytes : level.relative + [0x2F] + bytes
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            var header = EntryHeader(
                rawPath: raw, type: kind == S_IFDIR ? .directory : kind == S_IFLNK ? .symlink : kind == S_IFREG ? .file : kind == S_IFIFO ? .fifo : .unknown,
                size: kind == S_IFREG ? Int64(info.st_size) : nil, mode: UInt32(info.st_mode & 0o7777),
                uid: Int64(info.st_uid), gid: Int64(info.st_gid), mtime: Int64(info.st_mtim.tv_sec))
            if kind == S_IFLNK {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = buffer.withUnsafeMutableBytes { readlinkat(fd, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
                if count >= 0 { header.symlinkTarget = Array(buffer[0..<count]) }
            }
            let request = visitor.beginEntry(header)
            var content: EntryContent?
            if case .read(let algorithms) = request, kind == S_IFREG {
                content = hash(fd, name, algorithms, progress)
            } else if case .read = request {
                content = EntryContent(digests: [], byteCount: 0)
            }
            visitor.endEntry(content)
            if kind == S_IFDIR {
                let child = DirectoryNames.openChild(fd, name)
                if child >= 0 {
                    close(fd)
                    fd = child
                    stack.append((sorted(DirectoryNames.list(fd)), 0, raw))
                }
            }
        }
        close(fd)
    }

    private static func sorted(_ names: [[CChar]]?) -> [[CChar]] {
        (names ?? []).sorted { DirectoryNames.bytes($0).lexicographicallyPrecedes(DirectoryNames.bytes($1)) }
    }

    private static func hash(_ folder: Int32, _ name: [CChar], _ algorithms: [DigestAlgorithm], _ progress: ReadProgress?) -> EntryContent {
        let fd = openat(folder, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return EntryContent(digests: [], byteCount: 0, damage: "cannot open the restored file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = ContentHasher(reading: algorithms)
        var buffer = [UInt8](repeating: 0, count: 128 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { return EntryContent(digests: [], byteCount: hasher.byteCount, damage: "read error on the restored file") }
            if count == 0 { break }
            progress?.tick()
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }
        return EntryContent(digests: hasher.finalize(), byteCount: hasher.byteCount)
    }
}
