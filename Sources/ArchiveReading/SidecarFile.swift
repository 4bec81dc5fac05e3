import Foundation
import VerifyCore

/// What a checksum file beside an archive (`ARCHIVE.sha256`, `ARCHIVE.sha512`) is, decided by its
/// content, the one convention of `verifyctl check` and the daemon: a file whose only line names
/// the archive itself holds the archive's digest; any other file lists entries and is the manifest.
public enum SidecarFile: Sendable {
    /// The digest of the whole archive file.
    case archiveDigest(Digest)
    /// A manifest of the archive's entries.
    case manifest(Manifest)

    /// Reads and classifies the file at `path` for `archive`; errors name the file.
    public static func read(_ path: String, archive: String, format: ManifestFormat?) throws -> SidecarFile {
        let text = try ManifestLoading.readFile(path, what: "manifest")
        let manifest: Manifest
        do {
            manifest = try Manifest.parse(text, format: format, file: path)
        } catch {
            throw ManifestLoadError(description: "malformed manifest: \(error.description)")
        }
        if let digest = archiveDigest(in: manifest, archive: archive) { return .archiveDigest(digest) }
        return .manifest(manifest)
    }

    /// The digest when the manifest's only entry names the archive file itself (its file name,
    /// or a path ending in it, as `sha256sum dir/x.tar.gz` writes) and carries a digest.
    public static func archiveDigest(in manifest: Manifest, archive: String) -> Digest? {
        guard manifest.entries.count == 1 else { return nil }
        let entry = manifest.entries[0]
        let name = (archive as NSString).lastPathComponent
        let listed = entry.path.description
        guard listed == name || listed.hasSuffix("/" + name) else { return nil }
        return entry.digests.max(by: { $0.algorithm < $1.algorithm })
    }

    /// `ARCHIVE.sha256` or `ARCHIVE.sha512` beside the archive, if one exists and is not `except`.
    public static func beside(_ archive: String, except: String? = nil) -> String? {
        for suffix in [".sha256", ".sha512"] {
            let candidate = archive + suffix
            guard candidate != except, FileManager.default.fileExists(atPath: candidate) else { continue }
            return candidate
        }
        return nil
    }
}
