import ArchiveReading
import Foundation
import VerifyCore

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's own seek indexes (docs/seek-index.md): one file per archive in
/// `<state>/seek-indexes/`, named by the SHA-256 of the archive's path, bounded in total size.
///
/// Written by the daemon, never by a worker: a worker outside restore mode may write nowhere
/// (its Landlock rules, docs/security.md), and giving it a folder to write would widen what an
/// exploited parser can do (fill the state disk, `chmod`). So a worker sends the index it built
/// back in its result line (`WorkerResult.seekIndex`), and the daemon decodes it whole — every
/// bound of `SeekIndex.decode`, the checksum — before it keeps it. The file is only ever read by
/// workers (as a read-only path), which check it against the archive as they use it.
struct SeekIndexShelf: Sendable {
    let folder: String
    /// Total bytes of indexes kept: the oldest are removed past it.
    let limit: Int64

    /// Largest index a worker may send back (the base64 text is a third larger).
    static let indexLimit = 64 << 20
    static let defaultLimit: Int64 = 1 << 30
    static let suffix = ".vidx"

    init(stateDirectory: String, limit: Int64 = SeekIndexShelf.defaultLimit) {
        self.folder = stateDirectory + "/seek-indexes"
        self.limit = limit
    }

    /// Where the index of `archive` is kept (whether or not there is one).
    func path(for archive: String) -> String {
        var hasher = ContentHasher(algorithms: [.sha256])
        Array(archive.utf8).withUnsafeBytes { hasher.update($0) }
        return folder + "/" + hasher.finalize()[0].hex + Self.suffix
    }

    /// The kept index of `archive`, when there is one.
    func existing(for archive: String) -> String? {
        let file = path(for: archive)
        return DestinationFile.kind(of: file) == .regular ? file : nil
    }

    /// Decodes the index a worker sent (base64) and keeps it for `archive`, then trims the
    /// shelf to its limit. Returns the index's size in bytes.
    @discardableResult
    func keep(_ text: String, for archive: String) throws(SeekIndexError) -> Int {
        guard text.utf8.count <= Self.indexLimit / 3 * 4 + 4, let data = Data(base64Encoded: text) else {
            throw SeekIndexError("the worker's seek index is not base64 or is over \(Self.indexLimit >> 20) MiB")
        }
        let index = try SeekIndex.decode([UInt8](data))
        if mkdir(folder, 0o700) != 0, errno != EEXIST { throw SeekIndexError("\(folder): \(String(cString: strerror(errno)))") }
        try SeekIndexFile.save(index, to: path(for: archive))
        prune()
        return data.count
    }

    /// Removes the index of an archive that is gone.
    func remove(for archive: String) {
        unlink(path(for: archive))
    }

    /// Removes the oldest indexes (by modification time) until the rest fit in `limit`.
    func prune() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var files: [(path: String, size: Int64, mtime: Int)] = []
        for name in names where name.hasSuffix(Self.suffix) {
            var info = stat()
            let path = folder + "/" + name
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            files.append((path, Int64(info.st_size), info.st_mtim.tv_sec))
        }
        var total = files.reduce(0) { $0 + $1.size }
        for file in files.sorted(by: { $0.mtime < $1.mtime }) where total > limit {
            unlink(file.path)
            total -= file.size
        }
    }
}
