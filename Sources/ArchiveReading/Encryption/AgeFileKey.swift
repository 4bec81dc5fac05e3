import Crypto
import Foundation
import _CryptoExtras

/// Unwraps an age file's 16-byte file key from its header's stanzas with the keys given:
/// X25519 stanzas with the identities, an scrypt stanza with the passphrase. Other stanza types
/// (ssh keys, plugins) are skipped. No key that opens a stanza is an `error`, never damage: a
/// wrong key and a changed stanza cannot be told apart.
enum AgeFileKey {
    /// age's own limit on the scrypt work factor it accepts when decrypting (log2 N).
    static let scryptWorkFactorLimit = 22

    static func unwrap(_ header: AgeHeader, keys: AgeKeys) throws(DecryptionError) -> [UInt8] {
        let scrypt = header.stanzas.filter { $0.type == "scrypt" }
        if let stanza = scrypt.first {
            guard header.stanzas.count == 1 else {
                throw .damage(at: stanza.offset, "an age scrypt stanza must be the header's only stanza")
            }
            return try unwrapScrypt(stanza, keys: keys)
        }
        let x25519 = header.stanzas.filter { $0.type == "X25519" }
        for stanza in x25519 {
            guard stanza.arguments.count == 1, let share = AgeBase64.decode(Array(stanza.arguments[0].utf8)), share.count == 32,
                  stanza.body.count == 32
            else { throw .damage(at: stanza.offset, "a malformed age X25519 stanza") }
            for identity in keys.identities {
                if let fileKey = unwrapX25519(share: share, body: stanza.body, identity: identity) { return fileKey }
            }
        }
        let source = keys.identitySource.map { "the age identities of \($0)" } ?? "no age identity (age_identity / --age-identity)"
        let types = Set(header.stanzas.map(\.type)).sorted().joined(separator: ", ")
        throw DecryptionError(.key, "\(source) opens none of the file's \(header.stanzas.count) recipient stanzas (\(types)): the key is missing or wrong")
    }

    private static func unwrapX25519(share: [UInt8], body: [UInt8], identity: Curve25519.KeyAgreement.PrivateKey) -> [UInt8]? {
        guard let ephemeral = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: share),
              let shared = try? identity.sharedSecretFromKeyAgreement(with: ephemeral)
        else { return nil }
        guard shared.withUnsafeBytes({ bytes in bytes.contains { $0 != 0 } }) else { return nil }
        let salt = share + Array(identity.publicKey.rawRepresentation)
        let wrapKey = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: salt, sharedInfo: Array("age-encryption.org/v1/X25519".utf8), outputByteCount: 32)
        return open(body, with: wrapKey)
    }

    private static func unwrapScrypt(_ stanza: AgeHeader.Stanza, keys: AgeKeys) throws(DecryptionError) -> [UInt8] {
        guard stanza.arguments.count == 2, let salt = AgeBase64.decode(Array(stanza.arguments[0].utf8)), salt.count == 16,
              let workFactor = Int(stanza.arguments[1]), String(workFactor) == stanza.arguments[1], workFactor > 0,
              stanza.body.count == 32
        else { throw .damage(at: stanza.offset, "a malformed age scrypt stanza") }
        guard let passphrase = keys.passphrase else {
            throw DecryptionError(.key, "the file is encrypted to a passphrase (age scrypt) and no age passphrase is configured (age_passphrase / --age-passphrase)")
        }
        guard workFactor <= scryptWorkFactorLimit else {
            throw DecryptionError(.key, "the file's scrypt work factor \(workFactor) is above the limit \(scryptWorkFactorLimit) (2^\(workFactor) rounds)")
        }
        let key: SymmetricKey
        do {
            key = try KDF.Scrypt.deriveKey(
                from: passphrase, salt: Array("age-encryption.org/v1/scrypt".utf8) + salt, outputByteCount: 32,
                rounds: 1 << workFactor, blockSize: 8, parallelism: 1)
        } catch {
            throw DecryptionError(.key, "scrypt (work factor \(workFactor)) failed: \(error) (memory: the worker's limit may be too small)")
        }
        guard let fileKey = open(stanza.body, with: key) else {
            throw DecryptionError(.key, "the age passphrase does not open the file's scrypt stanza: the passphrase is wrong")
        }
        return fileKey
    }

    /// ChaCha20-Poly1305 with an all-zero nonce over a 16-byte file key and its tag.
    private static func open(_ body: [UInt8], with key: SymmetricKey) -> [UInt8]? {
        guard body.count == 32, let nonce = try? ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)),
              let box = try? ChaChaPoly.SealedBox(nonce: nonce, ciphertext: body[..<16], tag: body[16...]),
              let plain = try? ChaChaPoly.open(box, using: key)
        else { return nil }
        return Array(plain)
    }
}
