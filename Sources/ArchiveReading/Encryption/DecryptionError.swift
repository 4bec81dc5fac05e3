/// Why an encrypted archive could not be decrypted. The two sides get different verdicts: a
/// key that is missing, wrong or unreadable means the run could not verify (`error`); damage to
/// the file (a chunk that fails authentication, a truncated file, a broken header) is a
/// `corrupt_archive` finding (`fail`) at the byte offset where it was found.
///
/// Messages never hold key material: they name the file a key came from, not its content.
public struct DecryptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No key, a wrong key, an unreadable or malformed key file: could not verify.
        case key
        /// The file is damaged at this byte offset (of the file; of the decoded bytes for
        /// an armored file).
        case damage(offset: Int64)
        /// The encrypted file itself could not be read (I/O): could not verify.
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Damage at `offset`.
    static func damage(at offset: Int64, _ message: String) -> DecryptionError {
        DecryptionError(.damage(offset: offset), message)
    }
}
