import Testing
@testable import VerifyCore

/// The zstd part of a seek index (kind 3): frame starts read back as written; a hostile file
/// (valid checksum) whose checkpoints are not frame starts, do not grow, lie outside the file or
/// claim an absurd decompressed size is refused with what is wrong.
@Suite struct ZstdSeekIndexCodingTests {
    static let identity = ArchiveIdentity(
        path: "/srv/backups/a.tar.zst", size: 1 << 20, mtimeNanoseconds: 1_765_000_000_000_000_000, device: 2049, inode: 78,
        headDigest: Array(repeating: 1, count: 32), tailDigest: Array(repeating: 2, count: 32))

    static func frame(_ decoded: Int64, _ compressed: Int64) -> SeekIndex.Checkpoint {
        .init(decodedOffset: decoded, compressedOffset: compressed, bits: 0, memberStart: true, window: [])
    }

    static let sample = SeekIndex(
        kind: .zstdTar, identity: identity, formatName: "GNU tar format",
        entries: [
            .init(headerOffset: 0, dataOffset: 512, type: .file, size: 3_000_000, rawPath: Array("big".utf8)),
            .init(headerOffset: 3_000_576, dataOffset: 3_001_088, type: .file, size: 10, rawPath: Array("small".utf8)),
        ],
        checkpoints: [frame(0, 0), frame(2_097_152, 400_012), frame(3_000_000, 700_024)],
        decodedSize: 3_002_000)

    @Test func roundTrip() throws {
        #expect(try SeekIndex.decode(Self.sample.encoded()) == Self.sample)
        #expect(Self.sample.checkpoint(before: 3_000_576)?.compressedOffset == 700_024)
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

    enum Lie: CaseIterable, Sendable {
        case windowInAFrameIndex, bitsInAFrameIndex, notAFrameStart, offsetsDoNotGrow, outsideTheFile, absurdDecodedSize, noCheckpoint

        func bytes() -> [UInt8] {
            var index = ZstdSeekIndexCodingTests.sample
            switch self {
            case .windowInAFrameIndex:
                index.checkpoints[1].memberStart = false
                index.checkpoints[1].window = [1, 2, 3]
            case .bitsInAFrameIndex:
                index.checkpoints[1].memberStart = false
                index.checkpoints[1].bits = 3
            case .notAFrameStart: index.checkpoints[2].memberStart = false
            case .offsetsDoNotGrow: index.checkpoints[2].compressedOffset = 400_012
            case .outsideTheFile: index.checkpoints[2].compressedOffset = 2 << 20
            case .absurdDecodedSize: index.decodedSize = (1 << 20) * 50_000
            case .noCheckpoint: index.checkpoints = []
            }
            return index.encoded()
        }

        var expectedWords: String {
            switch self {
            case .windowInAFrameIndex, .bitsInAFrameIndex, .notAFrameStart: "not a frame start"
            case .offsetsDoNotGrow: "do not grow"
            case .outsideTheFile: "out of range"
            case .absurdDecodedSize: "more than a zstd file"
            case .noCheckpoint: "checkpoints in"
            }
        }
    }

    @Test(arguments: Lie.allCases)
    func hostileCheckpointsAreRefused(_ lie: Lie) {
        let error = #expect(throws: SeekIndexError.self) { try SeekIndex.decode(lie.bytes()) }
        #expect(error?.description.contains(lie.expectedWords) == true, "\(lie): \(error?.description ?? "")")
    }
}

/// An xz index (kind 4) follows the same rules: block starts only, as frame starts.
@Suite struct XzSeekIndexCodingTests {
    @Test func roundTripAndBlockStartsOnly() throws {
        var index = ZstdSeekIndexCodingTests.sample
        index.kind = .xzTar
        #expect(try SeekIndex.decode(index.encoded()) == index)
        index.checkpoints[1].memberStart = false
        let error = #expect(throws: SeekIndexError.self) { try SeekIndex.decode(index.encoded()) }
        #expect(error?.description.contains("not a frame start") == true)
    }
}
