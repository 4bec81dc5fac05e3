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
    /// `what` names the file in errors (as it was found: a manifest, or an archive digest file
    /// beside the archive); `onRead` is called as it is read and parsed (the worker's progress).
    public static func read(
        _ path: String, archive: String, format: ManifestFormat?, what: String = "manifest", onRead: @escaping () -> Void = {}
    ) throws -> SidecarFile {
        try read(text: try ManifestLoading.readFile(path, what: what, onRead: onRead), path: path, archive: archive, format: format, onRead: onRead)
    }

    /// Classifies `text`, the bytes read from `path`.
    public static func read(
        text: [UInt8], path: String, archive: String, format: ManifestFormat?, onRead: @escaping () -> Void = {}
    ) throws -> SidecarFile {
        let manifest = try ManifestLoading.manifest(text: text, path: path, format: format, onRead: onRead)
        if let digest = archiveDigest(in: manifest, archive: archive) { return .archiveDigest(digest) }
        return .manifest(manifest)
    }

    /// The digest when the manifest's only entry names the archive file itself (its file name,
    /// or a path ending in it, as `sha256sum dir/x.tar.gz` writes) and carries a digest.
    public static func archiveDigest(in manifest: Manifest, archive: String) -> Digest? {
        guard manifest.entries.count == 1 else { return nil }
        let entry = manifest.entries[0]
        let listed = entry.path.description
        guard SingleStream.manifestNamesTheFile(archivePath: archive, manifestPaths: [entry.path])
            || listed.hasSuffix("/" + (archive as NSString).lastPathComponent) else { return nil }
        return entry.digests.max(by: { $0.algorithm < $1.algorithm })
    }

    /// `ARCHIVE.sha256` or `ARCHIVE.sha512` beside the archive, if something is there under the
    /// name and it is not `except` (`lstat`: a FIFO or a dangling symlink is found, and refused
    /// when read, rather than skipped).
    public static func beside(_ archive: String, except: String? = nil) -> String? {
        for suffix in [".sha256", ".sha512"] {
            let candidate = archive + suffix
            guard candidate != except, DestinationFile.kind(of: candidate) != nil else { continue }
            return candidate
        }
        return nil
    }
}
