/// Whether a destination's manifests must carry a detached signature by a trusted key
/// (`manifest_signature`).
public enum ManifestSignaturePolicy: String, Sendable, Codable, CaseIterable {
    /// No signature beside the manifest is a failure (`signature_invalid`).
    case required
    /// A signature beside the manifest is checked; none is fine.
    case ifPresent = "if-present"
    /// Signatures are not looked at.
    case off

    /// The outcome for a manifest: nil when nothing is to be checked (off, or if-present with
    /// no signature file). `signature` is the signature file's name and bytes, when there is one.
    public func decide(
        manifest: [UInt8], signature: (file: String, bytes: [UInt8])?, keys: [TrustedKey]
    ) -> SignatureOutcome? {
        switch (self, signature) {
        case (.off, _), (.ifPresent, nil): return nil
        case (.required, nil): return .invalid("the manifest is not signed (no .minisig or .sig beside it) and manifest_signature is \"required\"")
        case (_, let signature?):
            guard !keys.isEmpty else { return .invalid("\(signature.file): no trusted key is configured to check it with (trusted_keys)") }
            do {
                return try ManifestSignature.parse(signature.bytes, file: signature.file).verify(manifest, keys: keys)
            } catch {
                return .invalid(error.description)
            }
        }
    }
}

extension SignatureOutcome {
    /// The finding of a signature that did not verify; nil for a verified one.
    public func finding(manifest: String) -> Finding? {
        guard case .invalid(let reason) = self else { return nil }
        return Finding(path: nil, kind: .signatureInvalid, expected: "\(manifest) signed by a trusted key", actual: reason)
    }
}

extension SignatureOutcome {
    /// One line for a verified signature (the run's note, `verifyctl show`); nil for an invalid one.
    public var summary: String? {
        guard case .verified(let verified) = self else { return nil }
        return "manifest signed by trusted key \(verified.keyID) (\(verified.keySource))"
            + (verified.trustedComment.map { ", trusted comment: \($0)" } ?? "")
    }
}
