import Foundation
import VerifyCore

/// Reading manifests and sidecar digests from files, with errors that name the file. Shared by
/// `verifyctl check` and the daemon's worker.
public enum ManifestLoading {
    /// The whole file, read straight into one array (no `Data` copy beside it: a manifest of a
    /// million entries is 90 MB).
    public static func readFile(_ path: String, what: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "not found" : "is not readable (\(String(cString: strerror(errno))))"
            throw ManifestLoadError(description: "\(path): \(what) \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFIFO else {
            throw ManifestLoadError(description: "\(path): \(what) is not a regular file")
        }
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
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    public static func manifest(at path: String, format: ManifestFormat?) throws -> Manifest {
        let text = try readFile(path, what: "manifest")
        do {
            return try Manifest.parse(text, format: format, file: path)
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
