#if canImport(Glibc)
import Glibc
#endif

/// The encryption an archive file is wrapped in, recognised by its first bytes (never by its
/// name: `.age`, `.gpg`, `.pgp`, `.asc` are hints for people only).
public enum EnvelopeKind: String, Sendable, Equatable {
    case age
    case ageArmored = "age-armor"
    case openPGP = "openpgp"
    case openPGPArmored = "openpgp-armor"

    /// Bytes `recognise` wants to see.
    static let headLength = 64

    /// The envelope `head` starts, or nil for anything else.
    public static func recognise(_ head: [UInt8]) -> EnvelopeKind? {
        if head.starts(with: Array("age-encryption.org/v1\n".utf8)) { return .age }
        let text = head.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }
        if text.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)) { return .ageArmored }
        if text.starts(with: Array("-----BEGIN PGP MESSAGE-----".utf8)) { return .openPGPArmored }
        return startsOpenPGPMessage(head) ? .openPGP : nil
    }

    /// An OpenPGP message that is encrypted begins with a public-key (tag 1) or a symmetric-key
    /// (tag 3) encrypted session key packet, in the old or the new packet format, whose first
    /// body byte is a version this packet has (3 or 6 for tag 1; 4, 5 or 6 for tag 3).
    static func startsOpenPGPMessage(_ head: [UInt8]) -> Bool {
        guard head.count >= 3, head[0] & 0x80 != 0 else { return false }
        let tag: UInt8
        let bodyStart: Int
        if head[0] & 0x40 != 0 {
            tag = head[0] & 0x3f
            bodyStart = head[1] < 192 ? 2 : head[1] < 224 ? 3 : head[1] == 255 ? 6 : 0
        } else {
            tag = (head[0] >> 2) & 0x0f
            bodyStart = [2, 3, 5, 0][Int(head[0] & 0x03)]
        }
        guard bodyStart > 0, head.count > bodyStart else { return false }
        let version = head[bodyStart]
        switch tag {
        case 1: return version == 3 || version == 6
        case 3: return version == 4 || version == 5 || version == 6
        default: return false
        }
    }

    /// The envelope of the file at `path` (its first bytes), nil for none or an unreadable file.
    public static func of(file path: String) -> EnvelopeKind? {
        guard case .success(let fd) = DestinationFile.open(path) else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: headLength)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return recognise(Array(bytes.prefix(max(n, 0))))
    }

    public var isOpenPGP: Bool { self == .openPGP || self == .openPGPArmored }

    /// The name in a report's filter list.
    public var filterName: String {
        switch self {
        case .age, .ageArmored: "age"
        case .openPGP, .openPGPArmored: "openpgp"
        }
    }
}
