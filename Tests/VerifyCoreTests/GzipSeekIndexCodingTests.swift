import Testing
@testable import VerifyCore

/// The gzip part of a seek index (kind 2): checkpoints read back as written, and a hostile
/// file (valid checksum) with checkpoints outside the file, not growing, or with absurd counts,
/// bits or windows is refused with what is wrong.
@Suite struct GzipSeekIndexCodingTests {
    static let identity = ArchiveIdentity(
        path: "/srv/backups/a.tar.gz", size: 1 << 20, mtimeNanoseconds: 1_765_000_000_000_000_000, device: 2049, inode: 77,
        headDigest: Array(repeating: 1, count: 32), tailDigest: Array(repeating: 2, count: 32))

    static let sample = SeekIndex(
        kind: .gzipTar, identity: identity, formatName: "GNU tar format",
        entries: [
            .init(headerOffset: 0, dataOffset: 512, type: .file, size: 3_000_000, rawPath: Array("big".utf8)),
            .init(headerOffset: 3_000_576, dataOffset: 3_001_088, type: .file, size: 10, rawPath: Array("small".utf8)),
        ],
        checkpoints: [
            .init(decodedOffset: 0, compressedOffset: 0, bits: 0, memberStart: true, window: []),
            .init(decodedOffset: 1_000_000, compressedOffset: 300_001, bits: 5, memberStart: false, window: Array(repeating: 7, count: 900)),
            .init(decodedOffset: 2_500_000, compressedOffset: 700_000, bits: 0, memberStart: true, window: []),
        ],
        decodedSize: 3_002_000)

    @Test func roundTrip() throws {
        #expect(try SeekIndex.decode(Self.sample.encoded()) == Self.sample)
    }

    @Test func checkpointBeforeAnOffset() {
        #expect(Self.sample.checkpoint(before: 0)?.compressedOffset == 0)
        #expect(Self.sample.checkpoint(before: 999_999)?.compressedOffset == 0)
        #expect(Self.sample.checkpoint(before: 1_000_000)?.compressedOffset == 300_001)
        #expect(Self.sample.checkpoint(before: 9_000_000)?.compressedOffset == 700_000)
    }

    /// What a read through the index inflates: from the checkpoint before each run of needed
    /// entries to the first checkpoint past its data (or the file's end).
    @Test func compressedSpanOfASample() {
        #expect(Self.sample.compressedSpan(of: [false, false]) == 0)
        #expect(Self.sample.compressedSpan(of: [false, true]) == (1 << 20) - 700_000)
        #expect(Self.sample.compressedSpan(of: [true, false]) == 1 << 20)
        #expect(Self.sample.compressedSpan(of: [true, true]) == 1 << 20)
    }

    @Test func everyFlippedByteAndCutIsRefused() {
        let bytes = Self.sample.encoded()
        for position in bytes.indices {
            var damaged = bytes
            damaged[position] ^= 0x10
            #expect(throws: SeekIndexError.self, "byte \(position)") { try SeekIndex.decode(damaged) }
        }
        for length in 0..<bytes.count {
            #expect(throws: SeekIndexError.self, "cut at \(length)") { try SeekIndex.decode(Array(bytes.prefix(length))) }
        }
    }

    @Test(arguments: Lie.allCases)
    func hostileCheckpointsAreRefused(_ lie: Lie) {
        let error = #expect(throws: SeekIndexError.self) { try SeekIndex.decode(lie.bytes()) }
        #expect(error?.description.contains(lie.expectedWords) == true, "\(lie): \(error?.description ?? "")")
    }

    enum Lie: CaseIterable, Sendable {
        case noCheckpoint, firstNotAtStart, notGrowing, pastTheFile, pastTheStream, tooManyBits, memberStartWithWindow,
             hugeWindow, hugeCount, absurdDecodedSize, entryPastTheStream

        var expectedWords: String {
            switch self {
            case .noCheckpoint, .hugeCount: "gzip checkpoints in"
            case .firstNotAtStart: "first gzip checkpoint"
            case .notGrowing: "do not grow"
            case .pastTheFile, .pastTheStream: "out of range"
            case .tooManyBits, .memberStartWithWindow: "bad bit count or window"
            case .hugeWindow: "name of"
            case .absurdDecodedSize: "decompressed size"
            case .entryPastTheStream: "past the end"
            }
        }

        func bytes() -> [UInt8] {
            var index = GzipSeekIndexCodingTests.sample
            switch self {
            case .noCheckpoint: index.checkpoints = []
            case .firstNotAtStart: index.checkpoints[0].compressedOffset = 5
            case .notGrowing: index.checkpoints[2].compressedOffset = index.checkpoints[1].compressedOffset
            case .pastTheFile: index.checkpoints[2].compressedOffset = index.identity.size
            case .pastTheStream: index.checkpoints[2].decodedOffset = index.decodedSize + 1
            case .tooManyBits: index.checkpoints[1].bits = 9
            case .memberStartWithWindow: index.checkpoints[2].window = [1, 2, 3]
            case .hugeWindow: index.checkpoints[1].window = Array(repeating: 1, count: SeekIndex.windowLimit + 1)
            case .absurdDecodedSize: index.decodedSize = Int64(1) << 50
            case .entryPastTheStream: index.decodedSize = 3_000_000
            case .hugeCount: return Self.withCheckpointCount(UInt64(Int32.max))
            }
            return index.encoded()
        }

        /// The sample's bytes up to its checkpoints, then a count and no checkpoint, checksummed.
        static func withCheckpointCount(_ count: UInt64) -> [UInt8] {
            var index = GzipSeekIndexCodingTests.sample
            index.checkpoints = []
            var body = Array(index.encoded().dropLast(32).dropLast(1))  // the count 0 as one byte
            var out = SeekIndexWriter()
            out.varint(count)
            body += out.buffer
            var hasher = ContentHasher(algorithms: [.sha256])
            body.withUnsafeBytes { hasher.update($0) }
            return body + hasher.finalize()[0].bytes
        }
    }
}
