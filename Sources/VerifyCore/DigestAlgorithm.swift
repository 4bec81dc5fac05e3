import Crypto

/// A content digest algorithm a manifest can name.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Codable, Comparable {
    case md5, sha1, sha256, sha384, sha512
    /// BLAKE2b-512, as `b2sum` writes it. Its digests are as long as SHA-512's, so a plain
    /// checksum list holds it only in the `b2sum` format; BSD tag lines name it.
    case blake2b
    /// CRC-32C, as PostgreSQL's `backup_manifest` lists it by default (`CRC32C`): 4 bytes,
    /// little-endian. A check against accidents, not an adversary; read from those manifests only.
    case crc32c
    /// SHA-224: `sha224sum` lists (56 digits) and PostgreSQL's `--manifest-checksums=SHA224`.
    case sha224

    /// Length of the digest in hexadecimal digits.
    public var hexLength: Int {
        switch self {
        case .md5: 32
        case .sha1: 40
        case .sha256: 64
        case .sha384: 96
        case .sha512, .blake2b: 128
        case .crc32c: 8
        case .sha224: 56
        }
    }

    /// The algorithm whose hex digests have this length, as `sha256sum -c` and friends infer it.
    public init?(hexLength: Int) {
        switch hexLength {
        case 32: self = .md5
        case 40: self = .sha1
        case 56: self = .sha224
        case 64: self = .sha256
        case 96: self = .sha384
        case 128: self = .sha512
        default: return nil
        }
    }

    /// The upper-case tag of the BSD format (`SHA256 (name) = …`).
    public var bsdTag: String {
        switch self {
        case .md5: "MD5"
        case .sha1: "SHA1"
        case .sha256: "SHA256"
        case .sha384: "SHA384"
        case .sha512: "SHA512"
        case .blake2b: "BLAKE2b"
        case .crc32c: "CRC32C"
        case .sha224: "SHA224"
        }
    }

    /// The byte that names the algorithm in packed manifests: 0 (md5) to 5 (blake2b), weakest
    /// to strongest, then 6 (crc32c) and 7 (sha224), added later; `<` orders by strength.
    var code: UInt8 {
        switch self {
        case .md5: 0
        case .sha1: 1
        case .sha256: 2
        case .sha384: 3
        case .sha512: 4
        case .blake2b: 5
        case .crc32c: 6
        case .sha224: 7
        }
    }

    /// The algorithm of a `code` (an unknown one reads as sha512).
    init(code: UInt8) {
        switch code {
        case 0: self = .md5
        case 1: self = .sha1
        case 2: self = .sha256
        case 3: self = .sha384
        case 5: self = .blake2b
        case 6: self = .crc32c
        case 7: self = .sha224
        default: self = .sha512
        }
    }

    public static func < (lhs: DigestAlgorithm, rhs: DigestAlgorithm) -> Bool { lhs.strength < rhs.strength }

    /// The order of `<`: CRC-32C before md5, SHA-224 between sha1 and sha256.
    private var strength: Double {
        switch self {
        case .crc32c: -1
        case .sha224: 1.5
        default: Double(code)
        }
    }
}

/// A digest value with the algorithm that made it.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    public let algorithm: DigestAlgorithm
    public let bytes: [UInt8]

    public init(algorithm: DigestAlgorithm, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Parses lower- or upper-case hex of the right length for the algorithm.
    public init?(algorithm: DigestAlgorithm, hex: some StringProtocol) {
        guard hex.utf8.count == algorithm.hexLength, let bytes = Hex.decode(hex) else { return nil }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { "\(algorithm.rawValue):\(hex)" }
}

/// Hexadecimal encoding without Foundation.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(bytes: Array(text.utf8))
    }

    /// Decodes hex given as ASCII bytes (one table lookup per digit: a million-line manifest
    /// decodes 64 million of them).
    public static func decode(bytes utf8: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        let decoded = utf8.withContiguousStorageIfAvailable { decode($0, appendingTo: &out) }
            ?? Array(utf8).withUnsafeBufferPointer { decode($0, appendingTo: &out) }
        return decoded ? out : nil
    }

    /// Decodes hex digits onto the end of `out`; false, with `out` as it was, when one is not hex.
    static func decode(_ digits: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) -> Bool {
        guard digits.count % 2 == 0 else { return false }
        let start = out.count
        var index = 0
        while index < digits.count {
            let high = hexValues[Int(digits[index])], low = hexValues[Int(digits[index + 1])]
            guard high | low <= 0x0f else {
                out.removeSubrange(start...)
                return false
            }
            out.append(high << 4 | low)
            index += 2
        }
        return true
    }

    /// The value of each byte as a hex digit, 0xff for bytes that are not one.
    private static let hexValues: [UInt8] = (0...255).map { value(UInt8($0)) ?? 0xff }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
