import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A sample of a tar.gz read through a seek index (inflating from the checkpoint before each
/// sampled entry) reports what a sequential read of the same sample reports, for gzip, pigz and
/// igzip files and a multi-member file; damage or a hostile index never makes it pass.
@Suite struct GzipSeekIndexReadTests {
    typealias Base = SeekIndexReadTests
    /// Small, so that the small fixture gets many checkpoints (the default keeps the index
    /// under 1% of the archive: one checkpoint in a few hundred KiB at least).
    static let spacing: Int64 = 16 << 10

    /// `tool`: gzip, pigz, igzip, or "members" (the tar cut in three, each part gzipped, joined).
    static func archive(_ space: Workspace, tool: String) throws -> String {
        let tar = try Base.tar(space, format: "gnu")
        switch tool {
        case "members":
            let bytes = try Data(contentsOf: URL(fileURLWithPath: tar))
            let cuts = [0, bytes.count / 3, bytes.count * 2 / 3 + 77, bytes.count]
            var joined = Data()
            for part in 0..<3 {
                let piece = space.temp.file("piece-\(part)")
                try bytes.subdata(in: cuts[part]..<cuts[part + 1]).write(to: URL(fileURLWithPath: piece))
                try Tool.must(["gzip", "-6", piece])
                joined += try Data(contentsOf: URL(fileURLWithPath: piece + ".gz"))
            }
            let out = space.temp.file("a-members.tar.gz")
            try joined.write(to: URL(fileURLWithPath: out))
            return out
        default:
            try Tool.must([tool, "-k", tar])
            let out = space.temp.file("a-\(tool).tar.gz")
            try FileManager.default.moveItem(atPath: tar + ".gz", toPath: out)
            return out
        }
    }

    static func run(_ archive: String, _ manifest: Manifest, sample: SamplePolicy = .all, seed: UInt64 = 1,
                    index: SeekIndex? = nil, record: Bool = false) -> VerificationReport {
        var request = VerificationRequest(archivePath: archive, manifest: manifest, sample: sample, seed: seed)
        request.seekIndex = index
        request.recordsSeekIndex = record
        request.gzipCheckpointSpacing = spacing
        // Through the index whatever it spans (a small fixture's sample spans much of it).
        request.gzipSpanLimit = 1
        return ArchiveVerification.run(request)
    }

    static func buildIndex(_ archive: String, _ manifest: Manifest) throws -> SeekIndex {
        let report = run(archive, manifest, record: true)
        #expect(report.result.verdict == .pass, "\(report.summary)")
        let index = try #require(report.builtSeekIndex, "\(report.seekIndexNotBuilt ?? "")")
        #expect(index.kind == .gzipTar)
        // What was written reads back the same.
        #expect(try SeekIndex.decode(index.encoded()) == index)
        return index
    }

    static var tools: [String] {
        ["gzip", "pigz", "igzip", "members"].filter { $0 == "members" || Tool.exists($0) }
    }

    @Test(arguments: tools)
    func sampleThroughIndexMatchesSequentialRead(tool: String) throws {
        let space = try Base.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: tool)
        let index = try Self.buildIndex(archive, manifest)
        #expect(index.checkpoints.count > 4, "\(index.checkpoints.count) checkpoints")
        #expect(index.checkpoints.contains { $0.bits > 0 }, "no checkpoint inside a byte")
        if tool == "members" { #expect(index.checkpoints.filter(\.memberStart).count == 3) }
        var bytes: (through: Int64, sequential: Int64) = (0, 0)
        for seed in UInt64(1)...8 {
            for policy in [SamplePolicy.percent(20), .count(1), .count(3)] {
                let sequential = Self.run(archive, manifest, sample: policy, seed: seed)
                let through = Self.run(archive, manifest, sample: policy, seed: seed, index: index)
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

    /// A sampled entry, the index's entry for it, and the checkpoint its read starts from; one
    /// whose checkpoint is away from both ends of the file (which the identity hashes).
    static func sampledEntry(_ archive: String, _ manifest: Manifest, _ index: SeekIndex, size: Int64) throws
        -> (seed: UInt64, entry: SeekIndex.Entry, checkpoint: SeekIndex.Checkpoint)? {
        let edge = Int64(ArchiveIdentity.edgeLength) + 4_096
        for seed in UInt64(1)...60 {
            let flags = try #require(run(archive, manifest, sample: .count(1), seed: seed).sample)
            guard let i = flags.firstIndex(of: true) else { continue }
            let name = Array(("./" + manifest.entries.path(at: i).description).utf8)
            guard let entry = index.entries.first(where: { $0.rawPath == name && $0.type == .file && ($0.size ?? 0) > 2_000 }),
                  let point = index.checkpoint(before: entry.headerOffset),
                  point.compressedOffset > edge + 2_000, point.compressedOffset + 2_000 < size - edge else { continue }
            return (seed, entry, point)
        }
        return nil
    }

    /// A byte flipped between the checkpoint and the sampled entry (inside what the index read
    /// inflates) fails the run as it fails the sequential one. A byte flipped before that
    /// checkpoint is not read through the index: the sampled entries pass, while the sequential
    /// read fails on it (the gzip stream is one: everything after the flip is damaged, and the
    /// CRC-32 in the trailer differs). A seeked read checks no trailer; it never claims to.
    @Test(arguments: [true, false])
    func flippedByteInsideAndOutsideTheRead(inside: Bool) throws {
        let space = try Base.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "gzip")
        let index = try Self.buildIndex(archive, manifest)
        let size = index.identity.size
        let found = try #require(try Self.sampledEntry(archive, manifest, index, size: size), "no sample away from the file's ends")
        let offset = inside ? found.checkpoint.compressedOffset + 300 : found.checkpoint.compressedOffset - 1_000
        try Base.flipKeepingTimes(archive, at: offset, in: space.temp)

        let sequential = Self.run(archive, manifest, sample: .count(1), seed: found.seed)
        let through = Self.run(archive, manifest, sample: .count(1), seed: found.seed, index: index)
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

    /// Lies about the checkpoints (with a valid file checksum, so the decoder cannot tell): on a
    /// good archive the run still reports what the sequential read reports, or fails; on an
    /// archive whose sampled entry is damaged it fails, whatever the lie.
    @Test(arguments: CheckpointLie.allCases)
    func lyingCheckpointsNeverPass(_ lie: CheckpointLie) throws {
        let space = try Base.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "pigz")
        var index = try Self.buildIndex(archive, manifest)
        lie.apply(to: &index)
        let lying = try SeekIndex.decode(index.encoded())
        for seed in UInt64(1)...6 {
            let sequential = Self.run(archive, manifest, sample: .percent(30), seed: seed)
            let through = Self.run(archive, manifest, sample: .percent(30), seed: seed, index: lying)
            if through.result.verdict == .pass { Base.same(through, sequential, "\(lie) seed \(seed)") }
        }
        let found = try #require(try Self.sampledEntry(archive, manifest, lying, size: lying.identity.size))
        try Base.flipKeepingTimes(archive, at: found.checkpoint.compressedOffset + 300, in: space.temp)
        let damaged = Self.run(archive, manifest, sample: .count(1), seed: found.seed, index: lying)
        #expect(damaged.result.verdict == .fail, "\(lie): \(damaged.summary) \(damaged.seekIndexUse?.summary ?? "")")
    }

    enum CheckpointLie: CaseIterable, Sendable {
        case shiftedCompressedOffsets, shiftedDecodedOffsets, wrongBits, swappedWindows, garbledWindows, noWindows

        func apply(to index: inout SeekIndex) {
            let inner = index.checkpoints.indices.dropFirst()
            switch self {
            case .shiftedCompressedOffsets: for i in inner { index.checkpoints[i].compressedOffset += 1 }
            case .shiftedDecodedOffsets: for i in inner { index.checkpoints[i].decodedOffset += 1 }
            case .wrongBits: for i in inner { index.checkpoints[i].bits = (index.checkpoints[i].bits + 3) % 8 }
            case .swappedWindows:
                let windows = inner.map { index.checkpoints[$0].window }
                for (n, i) in inner.enumerated() { index.checkpoints[i].window = windows[(n + 1) % windows.count] }
            case .garbledWindows: for i in inner where !index.checkpoints[i].window.isEmpty { index.checkpoints[i].window[3] ^= 0x40 }
            case .noWindows: for i in inner { index.checkpoints[i].window = [] }
            }
        }
    }

    /// A sample spread over most of the gzip stream is read sequentially (faster than inflating
    /// from checkpoints with zlib), says so, reports what the sequential read reports, and
    /// records no new index (the one given still describes the archive).
    @Test func wideSampleIsReadSequentially() throws {
        let space = try Base.workspace()
        let manifest = try Base.manifest(space)
        let archive = try Self.archive(space, tool: "gzip")
        let index = try Self.buildIndex(archive, manifest)
        var request = VerificationRequest(archivePath: archive, manifest: manifest, sample: .percent(60), seed: 2)
        request.seekIndex = index
        request.recordsSeekIndex = true
        let through = ArchiveVerification.run(request)
        guard case .refused(let why)? = through.seekIndexUse else {
            Issue.record("\(through.seekIndexUse?.summary ?? "nil")")
            return
        }
        #expect(why.contains("reading it whole is faster"), "\(why)")
        #expect(through.builtSeekIndex == nil)
        Base.same(through, Self.run(archive, manifest, sample: .percent(60), seed: 2), "wide sample")
    }

    /// An index of a plain tar is not used for its tar.gz, nor a tar.gz's for another file.
    @Test func indexOfAnotherKindIsRefused() throws {
        let space = try Base.workspace()
        let manifest = try Base.manifest(space)
        let gz = try Self.archive(space, tool: "gzip")
        let index = try Self.buildIndex(gz, manifest)
        var plain = index
        plain.kind = .plainTar
        let through = Self.run(gz, manifest, sample: .count(2), index: plain)
        guard case .refused(let why)? = through.seekIndexUse else {
            Issue.record("\(through.seekIndexUse?.summary ?? "nil")")
            return
        }
        #expect(why.contains("plain tar"))
        #expect(through.result.verdict == .pass)
    }
}
