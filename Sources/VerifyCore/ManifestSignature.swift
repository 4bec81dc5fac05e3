import Crypto

/// A detached Ed25519 signature of a manifest, as `minisign -S` (`MANIFEST.minisig`) or OpenBSD's
/// `signify -S` (`MANIFEST.sig`) writes it:
///
///     untrusted comment: <anything>
///     base64(algorithm "Ed" or "ED" ‖ key id (8) ‖ signature (64))
///     trusted comment: <text>                  (minisign only)
///     base64(global signature (64))            (minisign only)
///
/// `Ed` signs the file's bytes (signify, and minisign's legacy `-l`); `ED` signs their BLAKE2b-512
/// (minisign's default). minisign's global signature signs the signature and the trusted comment,
/// so the comment (a date, a host) cannot be changed without the key.
public struct ManifestSignature: Sendable, Equatable {
    public enum Algorithm: String, Sendable {
        /// Ed25519 over the message (signify; minisign -l).
        case ed25519 = "Ed"
        /// Ed25519 over the message's BLAKE2b-512 (minisign's default).
        case ed25519Prehashed = "ED"
    }

    public var algorithm: Algorithm
    public var keyID: [UInt8]
    public var signature: [UInt8]
    /// minisign's trusted comment and the global signature over it; nil for signify.
    public var trustedComment: String?
    public var globalSignature: [UInt8]?

    /// Parses a signature file; errors say what is wrong with which line.
    public static func parse(_ text: [UInt8], file: String) throws(SignatureError) -> ManifestSignature {
        let lines = text.split(separator: 0x0a, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0d ? line.dropLast() : line, as: UTF8.self)
        }
        func fail(_ line: Int?, _ message: String) -> SignatureError { SignatureError(file: file, line: line, message: message) }
        guard lines.count >= 2, lines[0].hasPrefix("untrusted comment:") else {
            throw fail(1, "not a minisign or signify signature (the first line must be \"untrusted comment: …\")")
        }
        guard let packet = Base64.decode(lines[1]), packet.count == 74 else {
            throw fail(2, "the signature line must be base64 of 74 bytes (truncated or damaged signature file)")
        }
        guard let algorithm = Algorithm(rawValue: String(decoding: packet[0..<2], as: UTF8.self)) else {
            throw fail(2, "unknown signature algorithm \"\(Base64.printable(packet[0..<2]))\" (expected Ed or ED)")
        }
        var parsed = ManifestSignature(algorithm: algorithm, keyID: Array(packet[2..<10]), signature: Array(packet[10..<74]))
        let rest = lines.dropFirst(2).filter { !$0.isEmpty }
        if let comment = rest.first {
            let prefix = "trusted comment: "
            guard comment.hasPrefix(prefix) else { throw fail(3, "expected \"trusted comment: …\"") }
            guard rest.count >= 2, let global = Base64.decode(rest[rest.startIndex + 1]), global.count == 64 else {
                throw fail(4, "the global signature must be base64 of 64 bytes (truncated or damaged signature file)")
            }
            parsed.trustedComment = String(comment.dropFirst(prefix.count))
            parsed.globalSignature = global
        } else if algorithm == .ed25519Prehashed {
            throw fail(3, "a minisign signature (ED) needs its trusted comment and global signature: the file is truncated")
        }
        return parsed
    }

    /// Checks the signature of `message` against the keys: the key named by the signature's id
    /// must be trusted, and the signature (and minisign's trusted comment) must verify with it.
    public func verify(_ message: [UInt8], keys: [TrustedKey]) -> SignatureOutcome {
        guard let key = keys.first(where: { $0.keyID == keyID }) else {
            return .invalid("signed by key \(TrustedKey.idText(keyID)), which is not a trusted key")
        }
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey) else {
            return .invalid("trusted key \(key.idText) (\(key.source)) is not an Ed25519 public key")
        }
        let signed = algorithm == .ed25519Prehashed ? Blake2b.hash(message) : message
        guard publicKey.isValidSignature(signature, for: signed) else {
            return .invalid("the signature by key \(key.idText) does not match the manifest (changed after it was signed)")
        }
        if let trustedComment, let globalSignature {
            guard publicKey.isValidSignature(globalSignature, for: signature + Array(trustedComment.utf8)) else {
                return .invalid("the trusted comment of the signature by key \(key.idText) was changed after signing")
            }
        }
        return .verified(SignatureVerified(keyID: key.idText, keySource: key.source, trustedComment: trustedComment))
    }
}

/// A public key the configuration trusts, from a minisign (`minisign.pub`) or signify (`.pub`)
/// public key file: an `untrusted comment:` line, then base64 of `Ed` ‖ key id (8) ‖ key (32).
/// minisign's bare base64 form (`-P`) is read too.
public struct TrustedKey: Sendable, Equatable {
    public var keyID: [UInt8]
    public var publicKey: [UInt8]
    /// The file it came from, for messages.
    public var source: String

    public init(keyID: [UInt8], publicKey: [UInt8], source: String) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.source = source
    }

    public static func parse(_ text: [UInt8], file: String) throws(SignatureError) -> TrustedKey {
        let lines = text.split(separator: 0x0a).map { String(decoding: $0.last == 0x0d ? $0.dropLast() : $0, as: UTF8.self) }
        guard let index = lines.firstIndex(where: { !$0.hasPrefix("untrusted comment:") && !$0.allSatisfy(\.isWhitespace) }) else {
            throw SignatureError(file: file, line: nil, message: "no public key in the file")
        }
        guard let packet = Base64.decode(lines[index].trimmingCharacters()), packet.count == 42, packet[0] == UInt8(ascii: "E"), packet[1] == UInt8(ascii: "d") else {
            throw SignatureError(
                file: file, line: index + 1,
                message: "not a minisign or signify public key (base64 of 42 bytes starting with \"Ed\")")
        }
        return TrustedKey(keyID: Array(packet[2..<10]), publicKey: Array(packet[10..<42]), source: file)
    }

    /// The key id as minisign prints it: 16 upper-case hex digits, the 8 bytes read little-endian.
    public var idText: String { Self.idText(keyID) }

    static func idText(_ id: [UInt8]) -> String { Hex.encode(id.reversed()).uppercased() }
}

/// What checking a manifest's signature found.
public enum SignatureOutcome: Sendable, Equatable {
    case verified(SignatureVerified)
    /// Why the manifest's signature does not prove it (`signature_invalid`).
    case invalid(String)
}

/// A signature that verified: with which key, and minisign's trusted comment.
public struct SignatureVerified: Sendable, Equatable {
    public var keyID: String
    public var keySource: String
    public var trustedComment: String?
}

/// A signature or key file that cannot be read: names the file, the line and what is wrong.
public struct SignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
