/// Standard base64 (RFC 4648, with padding), decoded without Foundation: minisign and signify
/// keys and signatures.
enum Base64 {
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, char) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(char)] = UInt8(index)
        }
        return table
    }()

    /// The bytes, or nil for text that is not canonical padded base64.
    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.count % 4 == 0 else { return nil }
        let padding = chars.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 4 * 3)
        var accumulator: UInt32 = 0
        for (index, char) in chars.enumerated() {
            let value: UInt8
            if index >= chars.count - padding {
                value = 0
            } else {
                value = values[Int(char)]
                guard value != 0xff else { return nil }
            }
            accumulator = accumulator << 6 | UInt32(value)
            if index % 4 == 3 {
                out += [UInt8(accumulator >> 16 & 0xff), UInt8(accumulator >> 8 & 0xff), UInt8(accumulator & 0xff)]
                accumulator = 0
            }
        }
        out.removeLast(padding)
        return out
    }

    /// Bytes shown in a message: printable ASCII as is, others as \xNN.
    static func printable(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { $0 >= 0x20 && $0 < 0x7f ? String(UnicodeScalar($0)) : "\\x" + Hex.encode([$0]) }.joined()
    }
}

extension Blake2b {
    /// The BLAKE2b-512 of `bytes` at once.
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = Blake2b()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize()
    }
}
