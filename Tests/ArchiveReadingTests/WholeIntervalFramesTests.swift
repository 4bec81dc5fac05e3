import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A sample chosen as whole intervals (the default of a run with an index) works the same on
/// zstd frames and xz blocks as on gzip checkpoints (`SeekIndex.entryPoints` is generic): on a
/// tree of many small files, the sample is whole intervals, each sampled entry is checked
/// through the index, and the run reads a part of the file.
@Suite(.timeLimit(.minutes(8))) struct WholeIntervalFramesTests {
    typealias Base = SeekIndexReadTests

    /// 400 files of 8 KiB that do not compress: a tar of 3.4 MB in about 13 frames or blocks of
    /// 256 KiB, each holding about 30 files.
    static func workspace() throws -> Workspace {
        let space = try Workspace(seed: 11)
        var tree = space.tree
        for n in 0..<400 { try tree.add("many/file-\(n).bin", size: 8 << 10, seed: 1_000 + UInt64(n), compressible: false) }
        _ = FileManager.default.createFile(atPath: space.manifestPath, contents: Data(tree.sha256Manifest()))
        return space
    }

    static func archive(_ space: Workspace, kind: String) throws -> String {
        let tar = try space.archive("many.tar", ["tar", "--format=gnu", "-cf", "@OUT", "."])
        let out = space.temp.file("many.tar.\(kind == "zstd" ? "zst" : "xz")")
        if kind == "xz" {
            try Tool.must(["sh", "-c", "xz -1 -T2 --block-size=256KiB -c \"$0\" > \"$1\"", tar, out])
            return out
        }
        // Frames of 256 KiB joined, as `cat a.zst b.zst` or pzstd makes them.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: tar))
        var joined = Data()
        for (part, start) in stride(from: 0, to: bytes.count, by: 256 << 10).enumerated() {
            let piece = space.temp.file("piece-\(part)")
            try bytes.subdata(in: start..<min(start + (256 << 10), bytes.count)).write(to: URL(fileURLWithPath: piece))
            try Tool.must(["zstd", "-q", "-1", piece, "-o", piece + ".zst"])
            joined += try Data(contentsOf: URL(fileURLWithPath: piece + ".zst"))
        }
        try joined.write(to: URL(fileURLWithPath: out))
        return out
    }

    @Test(arguments: ["zstd", "xz"])
    func wholeIntervalSampleIsReadThroughTheIndex(kind: String) throws {
        let space = try Self.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, kind: kind)
        let built = GzipSeekIndexReadTests.run(archive, manifest, record: true)
        let index = try #require(built.builtSeekIndex, "\(built.seekIndexNotBuilt ?? "")")
        #expect(index.kind == (kind == "zstd" ? .zstdTar : .xzTar))
        #expect(index.entryPoints.count >= 8, "\(index.entryPoints.count) entry points")
        var plans = 0
        for seed in UInt64(1)...6 {
            for policy in [SamplePolicy.percent(10), .percent(20)] {
                let through = GzipSeekIndexReadTests.run(archive, manifest, sample: policy, seed: seed, index: index, wholeIntervals: true)
                let comment: Comment = "\(kind) seed \(seed) \(policy): \(through.samplePlan ?? "no plan"); \(through.seekIndexUse?.summary ?? "-")"
                guard let flags = through.sample else {
                    Issue.record("no sample: \(through.summary)")
                    continue
                }
                #expect(through.result.verdict == .pass, comment)
                #expect(through.result.checked == flags.filter { $0 }.count, comment)
                guard through.samplePlan?.hasPrefix("sample chosen as") == true else { continue }
                plans += 1
                guard case .used = through.seekIndexUse else {
                    Issue.record(comment)
                    continue
                }
                #expect(through.bytesRead * 4 < through.fileSize * 3, comment)
            }
        }
        #expect(plans >= 10, "\(kind): \(plans) of 12 samples chosen as whole intervals")
    }
}
