import Crypto
import Foundation

/// The keys an age file may be opened with: the X25519 identities of an identity file (the
/// `AGE-SECRET-KEY-1...` lines `age-keygen` writes) and a passphrase (for files encrypted
/// with `age -p`, whose only recipient is an scrypt stanza).
///
/// Parsed from the files' bytes, which reach the worker over its pipe; errors name the file
/// and the line, never its content.
public struct AgeKeys: Sendable {
    var identities: [Curve25519.KeyAgreement.PrivateKey] = []
    var passphrase: [UInt8]?
    /// Where the identities came from, for messages ("age identity file /etc/...").
    var identitySource: String?

    public init() {}

    /// Adds the identities of an identity file: one per `AGE-SECRET-KEY-1` line; blank lines
    /// and `#` comments are skipped, any other line is refused (plugins are not supported).
    public mutating func addIdentities(file contents: [UInt8], source: String) throws(DecryptionError) {
        identitySource = source
        let text = String(decoding: contents, as: UTF8.self)
        var found = 0
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let decoded = Bech32.decode(line), decoded.hrp == "age-secret-key-", decoded.data.count == 32,
                  let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: decoded.data)
            else {
                throw DecryptionError(.key, "\(source): line \(number + 1) is not an age X25519 identity (AGE-SECRET-KEY-1...)")
            }
            identities.append(key)
            found += 1
        }
        guard found > 0 else { throw DecryptionError(.key, "\(source): holds no age identity (AGE-SECRET-KEY-1...)") }
    }

    /// Sets the passphrase: the file's content without its final line break.
    public mutating func setPassphrase(file contents: [UInt8], source: String) throws(DecryptionError) {
        var bytes = contents
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw DecryptionError(.key, "\(source): the passphrase file is empty") }
        passphrase = bytes
    }

    public var isEmpty: Bool { identities.isEmpty && passphrase == nil }
}
