import Foundation
import VerifyCore

/// Feeds the files of a restore folder to a visitor (an `ArchiveCheck`) as if they were entries
/// of an archive: names relative to the folder, types, sizes, modes, owners, mtimes and symlink
/// targets from `lstat`, content read back from disk. This is the check of the restore itself.
public enum RestoredTree {
    public static func feed(_ root: String, into visitor: some EntryVisitor) {
        walk(root, relative: [], into: visitor)
    }

    private static func walk(_ folder: String, relative: [UInt8], into visitor: some EntryVisitor) {
        guard let dir = opendir(folder) else { return }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        closedir(dir)
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let path = folder + "/" + String(decoding: name, as: UTF8.self)
            let raw = relative.isEmpty ? name : relative + [0x2F] + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            var header = EntryHeader(
                rawPath: raw, type: kind == S_IFDIR ? .directory : kind == S_IFLNK ? .symlink : kind == S_IFREG ? .file : kind == S_IFIFO ? .fifo : .unknown,
                size: kind == S_IFREG ? Int64(info.st_size) : nil, mode: UInt32(info.st_mode & 0o7777),
                uid: Int64(info.st_uid), gid: Int64(info.st_gid), mtime: Int64(info.st_mtim.tv_sec))
            if kind == S_IFLNK {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
                if count >= 0 { header.symlinkTarget = Array(buffer[0..<count]) }
            }
            let request = visitor.beginEntry(header)
            var content: EntryContent?
            if case .read(let algorithms) = request, kind == S_IFREG {
                content = hash(path, algorithms)
            } else if case .read = request {
                content = EntryContent(digests: [], byteCount: 0)
            }
            visitor.endEntry(content)
            if kind == S_IFDIR { walk(path, relative: raw, into: visitor) }
        }
    }

    private static func hash(_ path: String, _ algorithms: [DigestAlgorithm]) -> EntryContent {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return EntryContent(digests: [], byteCount: 0, damage: "cannot open the restored file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = ContentHasher(algorithms: algorithms)
        var buffer = [UInt8](repeating: 0, count: 128 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { return EntryContent(digests: [], byteCount: hasher.byteCount, damage: "read error on the restored file") }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }
        return EntryContent(digests: hasher.finalize(), byteCount: hasher.byteCount)
    }
}
