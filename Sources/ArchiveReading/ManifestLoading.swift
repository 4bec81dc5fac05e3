import Foundation
import VerifyCore

/// Reading manifests and sidecar digests from files, with errors that name the file. Shared by
/// `verifyctl check` and the daemon's worker.
public enum ManifestLoading {
    /// Largest manifest or digest file read (a manifest of a million entries is about 90 MB): a
    /// larger one (a sparse file of 100 GB, say) is refused, not allocated.
    public static let fileSizeLimit: Int64 = 1 << 30
    /// The whole file, read straight into one array (no `Data` copy beside it: a manifest of a
    /// million entries is 90 MB). Only a regular file is read (`DestinationFile`): a FIFO, a
    /// socket, a device or a symlink under the name is refused with what it is.
    /// `onRead` is called after every block read (the worker's progress).
    /// `following` reads what a last symlink points to (a trusted key, not a destination's file).
    public static func readFile(_ path: String, what: String, following: Bool = false, onRead: () -> Void = {}) throws -> [UInt8] {
        let fd: Int32
        switch DestinationFile.open(path, followingSymlink: following) {
        case .success(let opened): fd = opened
        case .failure(let problem): throw ManifestLoadError(description: "\(path): \(what) \(problem.reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ManifestLoadError(description: "\(path): \(what) is not readable (\(String(cString: strerror(errno))))")
        }
        let tooLarge = { (size: Int64) in
            ManifestLoadError(description: "\(path): \(what) is larger than \(fileSizeLimit >> 20) MiB (\(size) bytes): not read")
        }
        guard Int64(info.st_size) <= fileSizeLimit else { throw tooLarge(Int64(info.st_size)) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(info.st_size) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ManifestLoadError(description: "\(path): \(what) is not readable (\(String(cString: strerror(errno))))")
            }
            if n == 0 { break }
            onRead()
            // A file that grows while it is read stops at the limit too.
            guard Int64(bytes.count + n) <= fileSizeLimit else { throw tooLarge(Int64(bytes.count + n)) }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// `onRead` is called as the file is read and parsed (the worker's progress).
    public static func manifest(at path: String, format: ManifestFormat?, what: String = "manifest", onRead: @escaping () -> Void = {}) throws -> Manifest {
        try manifest(text: try readFile(path, what: what, onRead: onRead), path: path, format: format, onRead: onRead)
    }

    /// The manifest parsed from `text`, the bytes read from `path` (the same bytes a signature
    /// was checked on).
    public static func manifest(text: [UInt8], path: String, format: ManifestFormat?, onRead: @escaping () -> Void = {}) throws -> Manifest {
        do {
            return try Manifest.parse(text, format: format, file: path, onProgress: onRead)
        } catch {
            throw ManifestLoadError(description: "malformed manifest: \(error.description)")
        }
    }

    /// The digest of the whole archive from a sidecar in `sha256sum` format: the line that names
    /// the archive's file name, or the only line.
    public static func archiveDigest(sidecar path: String, archive: String) throws -> Digest {
        let text = try readFile(path, what: "archive digest file")
        let manifest: Manifest
        do {
            manifest = try Manifest.parse(text, format: nil, file: path)
        } catch {
            throw ManifestLoadError(description: "malformed archive digest file: \(error.description)")
        }
        let name = EntryPath((archive as NSString).lastPathComponent)
        let entry = manifest.entries.first(where: { $0.path == name })
            ?? (manifest.entries.count == 1 ? manifest.entries[0] : nil)
        guard let entry, let digest = entry.digests.max(by: { $0.algorithm < $1.algorithm }) else {
            throw ManifestLoadError(description: "\(path): no digest for \(name) in the archive digest file")
        }
        return digest
    }
}

/// A manifest or digest file that cannot be used: the message names the file.
public struct ManifestLoadError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
