/// BLAKE2b with a 512-bit digest and no key (RFC 7693), the algorithm of coreutils' `b2sum`.
/// swift-crypto has no BLAKE2, and a b2sum manifest's 128-digit digests would otherwise be
/// taken for SHA-512 and fail every entry.
public struct Blake2b: Sendable {
    private var h: SIMD8<UInt64>
    /// Bytes compressed so far (a 128-bit counter in the algorithm; 64 bits reach 16 EiB).
    private var counter: UInt64 = 0
    /// The block not yet compressed: BLAKE2b compresses the last block differently, so a full
    /// block waits here until more data shows it is not the last.
    private var buffer = SIMD16<UInt64>()
    private var buffered = 0

    static let iv = SIMD8<UInt64>(
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179)

    /// The message schedule of the 12 rounds (rounds 10 and 11 repeat 0 and 1).
    static let sigma: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ]

    public init() {
        h = Self.iv
        // Parameter block: digest length 64, no key, fanout 1, depth 1.
        h[0] ^= 0x0101_0040
    }

    public mutating func update(bufferPointer data: UnsafeRawBufferPointer) {
        guard var next = data.baseAddress, !data.isEmpty else { return }
        var left = data.count
        while left > 0 {
            if buffered == 128 {
                counter &+= 128
                withUnsafeBytes(of: buffer) { Self.compress(&h, $0.baseAddress!, counter: counter, last: false) }
                buffered = 0
            }
            // Whole blocks straight from the input, all but the last (it may be the final one).
            while buffered == 0, left > 128 {
                counter &+= 128
                Self.compress(&h, next, counter: counter, last: false)
                next += 128
                left -= 128
            }
            let n = min(128 - buffered, left)
            let at = buffered
            withUnsafeMutableBytes(of: &buffer) { $0.baseAddress!.advanced(by: at).copyMemory(from: next, byteCount: n) }
            buffered += n
            next += n
            left -= n
        }
    }

    /// The 64-byte digest.
    public func finalize() -> [UInt8] {
        var block = buffer
        withUnsafeMutableBytes(of: &block) { bytes in
            for index in buffered..<128 { bytes[index] = 0 }
        }
        var state = h
        withUnsafeBytes(of: block) { Self.compress(&state, $0.baseAddress!, counter: counter &+ UInt64(buffered), last: true) }
        return (0..<8).flatMap { withUnsafeBytes(of: state[$0].littleEndian) { Array($0) } }
    }

    private static func compress(_ h: inout SIMD8<UInt64>, _ block: UnsafeRawPointer, counter: UInt64, last: Bool) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { m in
            for index in 0..<16 { m[index] = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
            var v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]
            var v8 = iv[0], v9 = iv[1], v10 = iv[2], v11 = iv[3]
            var v12 = iv[4] ^ counter, v13 = iv[5], v14 = last ? ~iv[6] : iv[6], v15 = iv[7]
            sigma.withUnsafeBufferPointer { sigma in
                for round in 0..<12 {
                    let s = sigma.baseAddress! + (round % 10) * 16
                    g(&v0, &v4, &v8, &v12, m[Int(s[0])], m[Int(s[1])])
                    g(&v1, &v5, &v9, &v13, m[Int(s[2])], m[Int(s[3])])
                    g(&v2, &v6, &v10, &v14, m[Int(s[4])], m[Int(s[5])])
                    g(&v3, &v7, &v11, &v15, m[Int(s[6])], m[Int(s[7])])
                    g(&v0, &v5, &v10, &v15, m[Int(s[8])], m[Int(s[9])])
                    g(&v1, &v6, &v11, &v12, m[Int(s[10])], m[Int(s[11])])
                    g(&v2, &v7, &v8, &v13, m[Int(s[12])], m[Int(s[13])])
                    g(&v3, &v4, &v9, &v14, m[Int(s[14])], m[Int(s[15])])
                }
            }
            h ^= SIMD8(v0, v1, v2, v3, v4, v5, v6, v7) ^ SIMD8(v8, v9, v10, v11, v12, v13, v14, v15)
        }
    }

    @inline(__always)
    private static func g(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64, _ x: UInt64, _ y: UInt64) {
        a = a &+ b &+ x
        d = rotateRight(d ^ a, 32)
        c = c &+ d
        b = rotateRight(b ^ c, 24)
        a = a &+ b &+ y
        d = rotateRight(d ^ a, 16)
        c = c &+ d
        b = rotateRight(b ^ c, 63)
    }

    @inline(__always)
    private static func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value &>> count) | (value &<< (64 &- count))
    }
}
