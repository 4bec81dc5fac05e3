import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// BLAKE2b-512 against RFC 7693's vector and coreutils' own `b2sum`, at every length around
/// the 128-byte block (the last block is compressed differently), fed whole and in pieces.
@Suite struct Blake2bTests {
    static func hex(_ data: [UInt8], pieces: Int = 1) -> String {
        var hasher = ContentHasher(algorithms: [.blake2b])
        let step = max(1, data.count / pieces)
        var start = 0
        while start < data.count {
            let end = min(data.count, start + step)
            data[start..<end].withUnsafeBytes { hasher.update($0) }
            start = end
        }
        return hasher.finalize()[0].hex
    }

    @Test func theRFCVectors() {
        #expect(Self.hex([]) == "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")
        #expect(Self.hex(Array("abc".utf8)) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    @Test(arguments: [1, 63, 64, 127, 128, 129, 255, 256, 257, 1_000, 65_536, 1_000_003])
    func agreesWithB2sum(length: Int) throws {
        var generator = SeededBytes(seed: UInt64(length))
        let data = generator.next(length)
        let b2sum = try Tool.run(["b2sum"], input: data)
        #expect(b2sum.status == 0)
        let expected = b2sum.stdout.prefix(128)
        #expect(Self.hex(data) == String(expected))
        #expect(Self.hex(data, pieces: 7) == String(expected), "fed in 7 pieces")
        #expect(Self.hex(data, pieces: min(length, 4_096)) == String(expected), "fed in small pieces")
    }
}

/// Deterministic bytes (xorshift), for data whose digest a tool computes too.
struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }
}
