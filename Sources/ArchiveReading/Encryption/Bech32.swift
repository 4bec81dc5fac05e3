/// Bech32 (BIP 173) decoding, for age's `AGE-SECRET-KEY-1...` identities.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for index in 0..<5 where (top >> UInt32(index)) & 1 == 1 { check ^= generator[index] }
        }
        return check
    }

    /// The human-readable part (lower case) and the data bytes of `text`; nil when it is not
    /// valid bech32 (mixed case, a bad character, a bad checksum, bad padding).
    static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        let lower = text.lowercased()
        guard lower == text || text.uppercased() == text else { return nil }
        let bytes = Array(lower.utf8)
        guard let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator > 0, bytes.count - separator > 6 else { return nil }
        let hrp = Array(bytes[..<separator])
        var values: [UInt8] = []
        for character in bytes[(separator + 1)...] {
            guard let value = charset.firstIndex(of: character) else { return nil }
            values.append(UInt8(value))
        }
        let expanded = hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
        guard polymod(expanded + values) == 1 else { return nil }
        guard let data = regroup(values.dropLast(6)) else { return nil }
        return (String(decoding: hrp, as: UTF8.self), data)
    }

    /// 5-bit groups to bytes, refusing non-zero or overlong padding.
    private static func regroup(_ values: ArraySlice<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for value in values {
            accumulator = accumulator << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard bits < 5, accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }
}
