import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A sample of a tar.zst of several frames read through a seek index (decompressing from the
/// frame start before each sampled entry) reports what a sequential read of the same sample
/// reports, for pzstd's files and for frames joined; a file of one frame (plain `zstd`) gets no
/// index and says why; damage or a lying index never makes a run pass.
@Suite(.timeLimit(.minutes(8))) struct ZstdSeekIndexReadTests {
    typealias Base = SeekIndexReadTests
    typealias Gzip = GzipSeekIndexReadTests

    /// The seek-index tree and a 5 MiB file, so that pzstd -1 (2 MiB a frame) writes several.
    static func workspace() throws -> Workspace {
        let space = try Base.workspace()
        var tree = space.tree
        try tree.add("big/blob.bin", size: 5 << 20, seed: 31, compressible: false)
        _ = FileManager.default.createFile(atPath: space.manifestPath, contents: Data(tree.sha256Manifest()))
        return space
    }

    /// `tool`: "pzstd" (pzstd -1), "frames" (the tar cut in parts of 256 KiB, each zstd'd, joined) or
    /// "zstd" (one frame).
    static func archive(_ space: Workspace, tool: String) throws -> String {
        let tar = try Base.tar(space, format: "gnu")
        let out = space.temp.file("a-\(tool).tar.zst")
        switch tool {
        case "frames":
            let bytes = try Data(contentsOf: URL(fileURLWithPath: tar))
            var joined = Data()
            for (part, start) in stride(from: 0, to: bytes.count, by: 256 << 10).enumerated() {
                let piece = space.temp.file("piece-\(part)")
                try bytes.subdata(in: start..<min(start + (256 << 10), bytes.count)).write(to: URL(fileURLWithPath: piece))
                try Tool.must(["zstd", "-q", "-3", piece, "-o", piece + ".zst"])
                joined += try Data(contentsOf: URL(fileURLWithPath: piece + ".zst"))
            }
            try joined.write(to: URL(fileURLWithPath: out))
        case "pzstd": try Tool.must(["pzstd", "-q", "-1", "-p", "2", tar, "-o", out])
        default: try Tool.must(["zstd", "-q", "-3", tar, "-o", out])
        }
        return out
    }

    static func buildIndex(_ archive: String, _ manifest: Manifest) throws -> SeekIndex {
        let report = Gzip.run(archive, manifest, record: true)
        #expect(report.result.verdict == .pass, "\(report.summary)")
        let index = try #require(report.builtSeekIndex, "\(report.seekIndexNotBuilt ?? "")")
        #expect(index.kind == .zstdTar)
        #expect(try SeekIndex.decode(index.encoded()) == index)
        return index
    }

    static var tools: [String] { ["frames"] + (Tool.exists("pzstd") ? ["pzstd"] : []) }

    @Test(arguments: tools)
    func sampleThroughIndexMatchesSequentialRead(tool: String) throws {
        let space = try Self.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: tool)
        let index = try Self.buildIndex(archive, manifest)
        #expect(index.checkpoints.count >= 3, "\(index.checkpoints.count) frame starts")
        var bytes: (through: Int64, sequential: Int64) = (0, 0)
        for seed in UInt64(1)...6 {
            for policy in [SamplePolicy.percent(20), .count(1), .count(3)] {
                let sequential = Gzip.run(archive, manifest, sample: policy, seed: seed)
                let through = Gzip.run(archive, manifest, sample: policy, seed: seed, index: index)
                guard case .used = through.seekIndexUse else {
                    Issue.record("\(tool) seed \(seed): \(through.seekIndexUse?.summary ?? "index not looked at")")
                    continue
                }
                Base.same(through, sequential, "\(tool) seed \(seed) \(policy)")
                bytes.through += through.bytesRead
                bytes.sequential += sequential.bytesRead
            }
        }
        #expect(bytes.through < bytes.sequential, "\(tool): \(bytes.through) vs \(bytes.sequential)")
    }

    /// Plain `zstd` writes one frame: no entry point but the start. No index is made, the report
    /// says why, and the run is the sequential one.
    @Test func oneFrameHasNoIndex() throws {
        let space = try Self.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "zstd")
        let report = Gzip.run(archive, manifest, record: true)
        #expect(report.result.verdict == .pass, "\(report.summary)")
        #expect(report.builtSeekIndex == nil)
        #expect(report.seekIndexNotBuilt?.contains("one frame") == true, "\(report.seekIndexNotBuilt ?? "nil")")
    }

    /// A byte flipped in the frame the sampled entry is read from fails the run as it fails the
    /// sequential one (a frame is read from its start: its checksum is checked). A byte flipped
    /// in an earlier frame is not read through the index: the sample passes, the sequential read
    /// fails.
    @Test(arguments: [true, false])
    func flippedByteInsideAndOutsideTheRead(inside: Bool) throws {
        let space = try Self.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "frames")
        let index = try Self.buildIndex(archive, manifest)
        let found = try #require(try Gzip.sampledEntry(archive, manifest, index, size: index.identity.size), "no sample away from the file's ends")
        let offset = inside ? found.checkpoint.compressedOffset + 300 : found.checkpoint.compressedOffset - 1_000
        try Base.flipKeepingTimes(archive, at: offset, in: space.temp)

        let sequential = Gzip.run(archive, manifest, sample: .count(1), seed: found.seed)
        let through = Gzip.run(archive, manifest, sample: .count(1), seed: found.seed, index: index)
        #expect(sequential.result.verdict == .fail, "\(sequential.summary)")
        if inside {
            #expect(through.result.verdict == .fail, "\(through.summary) \(through.seekIndexUse?.summary ?? "")")
        } else {
            guard case .used = through.seekIndexUse else {
                Issue.record("\(through.seekIndexUse?.summary ?? "nil")")
                return
            }
            #expect(through.result.verdict == .pass, "\(through.summary)")
            #expect(through.result.checked == 1)
        }
    }

    /// Frame starts that lie (with a valid file checksum): on a good archive the run reports
    /// what the sequential read reports, or fails; with the sampled entry damaged it fails.
    @Test(arguments: FrameLie.allCases)
    func lyingFrameStartsNeverPass(_ lie: FrameLie) throws {
        let space = try Self.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "frames")
        var index = try Self.buildIndex(archive, manifest)
        lie.apply(to: &index)
        let lying = try SeekIndex.decode(index.encoded())
        for seed in UInt64(1)...4 {
            let sequential = Gzip.run(archive, manifest, sample: .percent(30), seed: seed)
            let through = Gzip.run(archive, manifest, sample: .percent(30), seed: seed, index: lying)
            if through.result.verdict == .pass { Base.same(through, sequential, "\(lie) seed \(seed)") }
        }
        let found = try #require(try Gzip.sampledEntry(archive, manifest, lying, size: lying.identity.size))
        try Base.flipKeepingTimes(archive, at: found.checkpoint.compressedOffset + 300, in: space.temp)
        let damaged = Gzip.run(archive, manifest, sample: .count(1), seed: found.seed, index: lying)
        #expect(damaged.result.verdict == .fail, "\(lie): \(damaged.summary) \(damaged.seekIndexUse?.summary ?? "")")
    }

    enum FrameLie: CaseIterable, Sendable {
        case shiftedCompressedOffsets, shiftedDecodedOffsets, decodedOffsetsOfTheNextFrame, framesDropped

        func apply(to index: inout SeekIndex) {
            let inner = Array(index.checkpoints.indices.dropFirst())
            switch self {
            case .shiftedCompressedOffsets: for i in inner { index.checkpoints[i].compressedOffset += 1 }
            case .shiftedDecodedOffsets: for i in inner { index.checkpoints[i].decodedOffset -= 512 }
            case .decodedOffsetsOfTheNextFrame:
                for i in inner.dropLast() { index.checkpoints[i].decodedOffset = index.checkpoints[i + 1].decodedOffset - 1 }
            case .framesDropped: index.checkpoints = index.checkpoints.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            }
        }
    }

    /// A sample spread over most of the file is read sequentially, says so, and reports what
    /// the sequential read reports.
    @Test func wideSampleIsReadSequentially() throws {
        let space = try Self.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "frames")
        let index = try Self.buildIndex(archive, manifest)
        var refused = 0
        for seed in UInt64(1)...6 {
            var request = VerificationRequest(archivePath: archive, manifest: manifest, sample: .percent(90), seed: seed)
            request.seekIndex = index
            // Entry by entry, as without an index (whole intervals are tested in GzipSeekIndexReadTests).
            request.samplesWholeIntervals = false
            let through = ArchiveVerification.run(request)
            if case .refused(let why)? = through.seekIndexUse {
                #expect(why.contains("of the zstd file: reading it whole is faster"), "\(why)")
                refused += 1
            }
            Base.same(through, Gzip.run(archive, manifest, sample: .percent(90), seed: seed), "wide sample, seed \(seed)")
        }
        #expect(refused > 0)
    }

    /// A zstd index is not used for a gzip file of the same tar, nor a gzip index for the zstd file.
    @Test func indexOfAnotherKindIsRefused() throws {
        let space = try Self.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "frames")
        var index = try Self.buildIndex(archive, manifest)
        index.kind = .gzipTar
        let through = Gzip.run(archive, manifest, sample: .count(2), index: index)
        guard case .refused(let why)? = through.seekIndexUse else {
            Issue.record("\(through.seekIndexUse?.summary ?? "nil")")
            return
        }
        #expect(why.contains("gzip"))
        #expect(through.result.verdict == .pass)
    }
}
