import Foundation
import VerifyCore

/// Reads what a signature check needs from files: the trusted key files (refused when others
/// may write them), the signature beside a manifest, and the manifest's bytes.
public enum ManifestSignatureCheck {
    /// Suffixes of a detached signature beside `MANIFEST`, minisign's first.
    public static let suffixes = [".minisig", ".sig"]

    /// `MANIFEST.minisig` or `MANIFEST.sig`, whichever exists first.
    public static func beside(_ manifest: String) -> String? {
        suffixes.map { manifest + $0 }.first { DestinationFile.kind(of: $0) != nil }
    }

    /// Checks `manifest` under `policy`: the signature file given, or the one beside it.
    /// Nil when nothing is to be checked.
    /// `text`: the manifest's bytes as the caller read them to parse them (the daemon's worker),
    /// so that what is parsed is what was signed; nil reads the file here.
    public static func check(
        manifest: String, text: [UInt8]? = nil, signature: String?, keys: [TrustedKey], policy: ManifestSignaturePolicy
    ) -> SignatureOutcome? {
        guard policy != .off else { return nil }
        let signatureFile = signature ?? beside(manifest)
        do {
            let signatureBytes = try signatureFile.map { (file: $0, bytes: try ManifestLoading.readFile($0, what: "signature")) }
            let bytes = try text ?? ManifestLoading.readFile(manifest, what: "manifest")
            return policy.decide(manifest: bytes, signature: signatureBytes, keys: keys)
        } catch {
            return .invalid("\(error)")
        }
    }

    /// A trusted public key file: a regular file that only its owner (root or this process's
    /// user) may write, else refused with why: a key that others can replace trusts them.
    public static func loadTrustedKey(_ path: String) throws -> TrustedKey {
        let fd: Int32
        switch DestinationFile.open(path, followingSymlink: true) {
        case .success(let opened): fd = opened
        case .failure(let problem): throw ManifestLoadError(description: "\(path): trusted key \(problem.reason)")
        }
        var info = stat()
        let statted = fstat(fd, &info)
        close(fd)
        guard statted == 0 else { throw ManifestLoadError(description: "\(path): trusted key is not readable") }
        if info.st_mode & 0o022 != 0 {
            throw ManifestLoadError(description: String(
                format: "%@: trusted key is writable by %@ (mode %o): refused, anyone who can rewrite it could sign manifests (chmod go-w)",
                path, info.st_mode & 0o002 != 0 ? "everyone" : "its group", info.st_mode & 0o7777))
        }
        if info.st_uid != 0, info.st_uid != geteuid() {
            throw ManifestLoadError(description: "\(path): trusted key belongs to uid \(info.st_uid), neither root nor this process's user: refused (chown root)")
        }
        let text = try ManifestLoading.readFile(path, what: "trusted key", following: true)
        do {
            return try TrustedKey.parse(text, file: path)
        } catch {
            throw ManifestLoadError(description: error.description)
        }
    }
}
