import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A sample of a tar.xz of several blocks read through a seek index (decompressing from the
/// block holding each sampled entry's header, found in the file's own index) reports what a
/// sequential read of the same sample reports, for `xz -T2 --block-size` and for streams joined;
/// a file of one block (plain `xz`) gets no index and says why; damage or a lying index never
/// makes a run pass.
@Suite(.timeLimit(.minutes(8))) struct XzSeekIndexReadTests {
    typealias Base = SeekIndexReadTests
    typealias Gzip = GzipSeekIndexReadTests

    /// `tool`: "blocks" (xz -T2 --block-size=256KiB), "streams" (the tar cut in parts of
    /// 256 KiB, each xz'd, joined) or "xz" (one block).
    static func archive(_ space: Workspace, tool: String) throws -> String {
        let tar = try Base.tar(space, format: "gnu")
        let out = space.temp.file("a-\(tool).tar.xz")
        switch tool {
        case "streams":
            let bytes = try Data(contentsOf: URL(fileURLWithPath: tar))
            var joined = Data()
            for (part, start) in stride(from: 0, to: bytes.count, by: 256 << 10).enumerated() {
                let piece = space.temp.file("piece-\(part)")
                try bytes.subdata(in: start..<min(start + (256 << 10), bytes.count)).write(to: URL(fileURLWithPath: piece))
                try Tool.must(["xz", "-1", "-k", piece])
                joined += try Data(contentsOf: URL(fileURLWithPath: piece + ".xz"))
            }
            try joined.write(to: URL(fileURLWithPath: out))
        case "blocks": try Tool.must(["sh", "-c", "xz -1 -T2 --block-size=256KiB -c \"$0\" > \"$1\"", tar, out])
        default: try Tool.must(["sh", "-c", "xz -1 -c \"$0\" > \"$1\"", tar, out])
        }
        return out
    }

    static func buildIndex(_ archive: String, _ manifest: Manifest) throws -> SeekIndex {
        let report = Gzip.run(archive, manifest, record: true)
        #expect(report.result.verdict == .pass, "\(report.summary)")
        let index = try #require(report.builtSeekIndex, "\(report.seekIndexNotBuilt ?? "")")
        #expect(index.kind == .xzTar)
        #expect(try SeekIndex.decode(index.encoded()) == index)
        return index
    }

    @Test(arguments: ["blocks", "streams"])
    func sampleThroughIndexMatchesSequentialRead(tool: String) throws {
        let space = try ZstdSeekIndexReadTests.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: tool)
        let index = try Self.buildIndex(archive, manifest)
        #expect(index.checkpoints.count >= 3, "\(index.checkpoints.count) block starts")
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

    /// Plain `xz` writes one block: no index, the report says why.
    @Test func oneBlockHasNoIndex() throws {
        let space = try ZstdSeekIndexReadTests.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "xz")
        let report = Gzip.run(archive, manifest, record: true)
        #expect(report.result.verdict == .pass, "\(report.summary)")
        #expect(report.builtSeekIndex == nil)
        #expect(report.seekIndexNotBuilt?.contains("one block") == true, "\(report.seekIndexNotBuilt ?? "nil")")
    }

    /// A byte flipped in the block the sampled entry is read from fails the run (the block's
    /// check); one flipped in an earlier block is not read through the index.
    @Test(arguments: [true, false])
    func flippedByteInsideAndOutsideTheRead(inside: Bool) throws {
        let space = try ZstdSeekIndexReadTests.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "blocks")
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

    /// Block starts that lie (valid file checksum): the run is the sequential one, or fails; with
    /// the sampled entry damaged it fails.
    @Test(arguments: ZstdSeekIndexReadTests.FrameLie.allCases)
    func lyingBlockStartsNeverPass(_ lie: ZstdSeekIndexReadTests.FrameLie) throws {
        let space = try ZstdSeekIndexReadTests.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "blocks")
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
}
