#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// A seek index on disk: read with a bound on its size, written whole or not at all (a
/// temporary file beside it, then a rename).
public enum SeekIndexFile {
    /// The largest index file read: bigger ones are refused, never loaded.
    public static let sizeLimit: Int64 = 256 << 20

    /// Reads and decodes the index at `path`. A missing file is `nil`; anything else that is
    /// wrong with it (not a regular file, too big, damaged) is thrown, with what is wrong.
    public static func load(_ path: String) throws(SeekIndexError) -> SeekIndex? {
        let fd: Int32
        switch DestinationFile.open(path) {
        case .success(let opened): fd = opened
        case .failure(let problem):
            if problem == .notFound { return nil }
            throw SeekIndexError("\(path) \(problem.reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SeekIndexError("\(path): \(String(cString: strerror(errno)))") }
        let size = Int64(info.st_size)
        guard size <= sizeLimit else { throw SeekIndexError("\(path): \(size) bytes, more than a seek index may have (\(sizeLimit))") }
        guard let bytes = FileBytes.read(fd, at: 0, count: Int(size)) else { throw SeekIndexError("\(path): could not be read whole") }
        do {
            return try SeekIndex.decode(bytes)
        } catch {
            throw SeekIndexError("\(path): \(error.description)")
        }
    }

    /// Whether `index` was made from the file at `archive` as it is now (`ArchiveIdentity`).
    public static func describes(_ index: SeekIndex, archive: String) -> Bool {
        guard case .success(let fd) = DestinationFile.open(archive) else { return false }
        defer { close(fd) }
        guard let current = ArchiveIdentity.of(descriptor: fd, path: archive) else { return false }
        return index.identity.difference(from: current) == nil
    }

    /// Writes `index` to `path`, replacing what was there, through a temporary file and a rename.
    public static func save(_ index: SeekIndex, to path: String) throws(SeekIndexError) {
        let bytes = index.encoded()
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw SeekIndexError("\(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let why = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw SeekIndexError("\(temporary): \(why)")
            }
            written += n
        }
        guard close(fd) == 0, rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw SeekIndexError("\(path): \(why)")
        }
    }
}
