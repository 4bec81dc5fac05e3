import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A sample read through a seek index reports exactly what a sequential read of the same
/// sample reports, reads less, and falls back to a sequential read whenever the index and the
/// archive disagree.
@Suite struct SeekIndexReadTests {
    /// The standard tree plus what tar stores in more than one header block or without data:
    /// a name over 100 bytes, a hard link, a symlink, an empty file.
    static func workspace() throws -> Workspace {
        let space = try Workspace(seed: 7)
        var tree = space.tree
        let deep = (0..<12).map { "folder-with-a-long-name-\($0)" }.joined(separator: "/")
        try tree.add(deep + "/leaf.txt", size: 4_000, seed: 99)
        try tree.hardlink("data/link-to-part-3.bin", to: "data/part-3.bin")
        try tree.symlink("etc/hosts.link", to: "hosts")
        // Holes: GNU tar --sparse stores only the data (a sparse map in the header or, for pax, in
        // extended headers and a map block before the data).
        try tree.add("disk/sparse.img", [UInt8](repeating: 0, count: 256 << 10) + FixtureTree.content(size: 3_000, seed: 5) + [UInt8](repeating: 0, count: 256 << 10))
        try Tool.must(["fallocate", "-d", tree.root + "/disk/sparse.img"])
        _ = FileManager.default.createFile(atPath: space.manifestPath, contents: Data(tree.sha256Manifest()))
        return space
    }

    /// The manifest file as written (with the entries `workspace()` added).
    static func manifest(_ space: Workspace) throws -> Manifest {
        try Manifest.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: space.manifestPath))), file: space.manifestPath)
    }

    /// `format`: GNU tar's --format, or "gnu-sparse"/"posix-sparse" (with --sparse), or "bsdtar".
    static func tar(_ space: Workspace, format: String) throws -> String {
        switch format {
        case "bsdtar": try space.archive("a-bsdtar.tar", ["bsdtar", "-cf", "@OUT", "."])
        case "gnu-sparse", "posix-sparse":
            try space.archive("a-\(format).tar", ["tar", "--sparse", "--format=\(format.dropLast(7))", "-cf", "@OUT", "."])
        default: try space.archive("a-\(format).tar", ["tar", "--format=\(format)", "-cf", "@OUT", "."])
        }
    }

    static func run(_ archive: String, _ manifest: Manifest, sample: SamplePolicy = .all, seed: UInt64 = 1,
                    index: SeekIndex? = nil, record: Bool = false) -> VerificationReport {
        var request = VerificationRequest(archivePath: archive, manifest: manifest, sample: sample, seed: seed)
        request.seekIndex = index
        request.recordsSeekIndex = record
        return ArchiveVerification.run(request)
    }

    static func buildIndex(_ archive: String, _ manifest: Manifest) throws -> SeekIndex {
        let report = run(archive, manifest, record: true)
        #expect(report.result.verdict == .pass, "\(report.summary)")
        return try #require(report.builtSeekIndex, "\(report.seekIndexNotBuilt ?? "")")
    }

    /// Everything a report says about the entries (not how it read them).
    static func same(_ a: VerificationReport, _ b: VerificationReport, _ comment: Comment) {
        let describe = { (f: Finding) in "\(f.kind.rawValue)|\(f.path?.description ?? "-")|\(f.expected ?? "")|\(f.actual ?? "")" }
        #expect(a.result.verdict == b.result.verdict, comment)
        #expect(a.result.findings.map(describe) == b.result.findings.map(describe), comment)
        #expect(a.result.checked == b.result.checked, comment)
        #expect(a.result.selected == b.result.selected, comment)
        #expect(a.result.notVerified == b.result.notVerified, comment)
        #expect(a.result.entriesSeen == b.result.entriesSeen, comment)
        #expect(a.result.entriesRead == b.result.entriesRead, comment)
        #expect(a.result.contentBytes == b.result.contentBytes, comment)
        #expect(a.result.unexpectedCount == b.result.unexpectedCount, comment)
        #expect(a.result.error == b.result.error, comment)
        #expect(a.format == b.format, comment)
        #expect(a.filters == b.filters, comment)
        #expect(a.warnings == b.warnings, comment)
    }

    @Test(arguments: ["gnu", "posix", "ustar", "v7", "gnu-sparse", "posix-sparse", "bsdtar"])
    func sampleThroughIndexMatchesSequentialRead(format: String) throws {
        let space = try Self.workspace()
        let manifest = try Self.manifest(space)
        // ustar and v7 cannot store the 300-byte name: GNU tar refuses it, so they get a tree without it.
        let archive: String
        if format == "ustar" || format == "v7" {
            let plain = try Workspace(seed: 7)
            archive = try Self.tar(plain, format: format)
            try check(archive, try plain.manifest(), format: format)
        } else {
            archive = try Self.tar(space, format: format)
            try check(archive, manifest, format: format)
        }
    }

    private func check(_ archive: String, _ manifest: Manifest, format: String) throws {
        let index = try Self.buildIndex(archive, manifest)
        #expect(index.entries.count > 25)
        // The hard link whose data is in another entry: sampled alone, its content is "not verified".
        let link = index.entries.first { $0.type == .hardlink }
        let position = { (raw: [UInt8]?) -> Int? in
            guard let raw else { return nil }
            let name = EntryPath(normalizing: raw).description
            return manifest.entries.indices.first { manifest.entries.path(at: $0).description == name }
        }
        var sawLinkWithoutItsData = false
        var bytes: (through: Int64, sequential: Int64) = (0, 0)
        for seed in UInt64(1)...12 {
            for policy in [SamplePolicy.percent(20), .count(1), .count(3)] {
                let sequential = Self.run(archive, manifest, sample: policy, seed: seed)
                let through = Self.run(archive, manifest, sample: policy, seed: seed, index: index)
                guard case .used = through.seekIndexUse else {
                    Issue.record("\(format) seed \(seed): \(through.seekIndexUse?.summary ?? "index not looked at")")
                    continue
                }
                Self.same(through, sequential, "\(format) seed \(seed) \(policy)")
                bytes.through += through.bytesRead
                bytes.sequential += sequential.bytesRead
                if let flags = sequential.sample, let l = position(link?.rawPath), let t = position(link?.hardlinkTarget), flags[l], !flags[t] {
                    sawLinkWithoutItsData = true
                    #expect(through.result.notVerified.map(\.description) == [manifest.entries.path(at: l).description], "\(through.summary)")
                }
            }
        }
        if link != nil { #expect(sawLinkWithoutItsData, "no seed sampled the hard link without its data") }
        // A header read again after each seek costs a little; skipping what is not sampled saves
        // more (here little: the samples often hold the one 1.5 MB file, most of the archive).
        #expect(bytes.through < bytes.sequential, "\(format): \(bytes.through) vs \(bytes.sequential)")
    }

    /// Bytes flipped in the data of a sampled entry fail both reads alike; flipped in an entry
    /// outside the sample, both pass alike (neither reads it). The archive keeps its times, so
    /// the index still matches it.
    @Test(arguments: [true, false])
    func flippedDataInsideAndOutsideTheSample(inside: Bool) throws {
        let space = try Self.workspace()
        let manifest = try Self.manifest(space)
        let archive = try Self.tar(space, format: "gnu")
        let index = try Self.buildIndex(archive, manifest)
        let policy = SamplePolicy.count(5)
        let flags = try #require(Self.run(archive, manifest, sample: policy, seed: 3).sample)
        let target = try #require(manifest.entries.indices.first { i in
            let name = manifest.entries.path(at: i).description
            return flags[i] == inside && (space.tree.files[name]?.count ?? 0) > 1_000
                && index.entries.contains { $0.rawPath == Array(("./" + name).utf8) && $0.type == .file }
        })
        let name = "./" + manifest.entries.path(at: target).description
        let entry = try #require(index.entries.first { $0.rawPath == Array(name.utf8) })
        try Self.flipKeepingTimes(archive, at: entry.dataOffset + 700, in: space.temp)

        let sequential = Self.run(archive, manifest, sample: policy, seed: 3)
        let through = Self.run(archive, manifest, sample: policy, seed: 3, index: index)
        if case .used = through.seekIndexUse {} else { Issue.record("\(through.seekIndexUse?.summary ?? "nil")") }
        Self.same(through, sequential, "flipped \(inside ? "inside" : "outside") the sample")
        #expect(sequential.result.verdict == (inside ? .fail : .pass), "\(sequential.summary)")
        if inside { #expect(through.kinds == [.contentMismatch]) }
    }

    /// XORs one byte, then gives the file back its times (to the nanosecond, with touch -r).
    static func flipKeepingTimes(_ path: String, at offset: Int64, in temp: TemporaryDirectory) throws {
        let reference = temp.file("times.ref")
        try Tool.must(["touch", "-r", path, reference])
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: [byte ^ 0x5a])
        try handle.close()
        try Tool.must(["touch", "-r", reference, path])
    }

    /// An index that lies about where an entry is, or what it is, or about the archive: the run
    /// says so and reads sequentially, reporting what the sequential read reports.
    @Test(arguments: IndexLie.allCases)
    func lyingIndexFallsBackToSequential(_ lie: IndexLie) throws {
        let space = try Self.workspace()
        let manifest = try Self.manifest(space)
        let archive = try Self.tar(space, format: "posix")
        var index = try Self.buildIndex(archive, manifest)
        // The lie touches every file: whichever the sample reads meets it.
        let policy = SamplePolicy.percent(50)
        lie.apply(to: &index)
        let sequential = Self.run(archive, manifest, sample: policy, seed: 5)
        let through = Self.run(archive, manifest, sample: policy, seed: 5, index: index, record: true)
        switch (through.seekIndexUse, lie.refusedUpFront) {
        case (.mismatch?, false), (.refused?, true): break
        default: Issue.record("\(lie): \(through.seekIndexUse?.summary ?? "nil")")
        }
        Self.same(through, sequential, "\(lie)")
        #expect(through.builtSeekIndex != nil, "the sequential read after a mismatch builds no new index")
    }

    enum IndexLie: CaseIterable, Sendable {
        case swappedNames, shiftedOffset, wrongSize, wrongDataOffset, otherMtime, otherPath

        var refusedUpFront: Bool { self == .otherMtime || self == .otherPath }

        func apply(to index: inout SeekIndex) {
            let files = index.entries.indices.filter { index.entries[$0].type == .file }
            switch self {
            case .swappedNames:
                for pair in stride(from: 0, to: files.count - 1, by: 2) {
                    let (a, b) = (files[pair], files[pair + 1])
                    (index.entries[a].rawPath, index.entries[b].rawPath) = (index.entries[b].rawPath, index.entries[a].rawPath)
                }
            case .shiftedOffset:
                for f in files { index.entries[f].headerOffset += 512 }
            case .wrongSize:
                for f in files { index.entries[f].size! += 1 }
            case .wrongDataOffset:
                for f in files { index.entries[f].dataOffset += 512 }
            case .otherMtime:
                index.identity.mtimeNanoseconds += 1
            case .otherPath:
                index.identity.path += ".old"
            }
        }
    }

    /// An index (with a valid checksum) that leaves entries out can make the sampled ones
    /// missing, a failure; it cannot make a run pass.
    @Test func indexWithoutEntriesFailsTheSample() throws {
        let space = try Self.workspace()
        let manifest = try Self.manifest(space)
        let archive = try Self.tar(space, format: "gnu")
        var index = try Self.buildIndex(archive, manifest)
        index.entries = index.entries.filter { $0.type != .file }
        let decoded = try SeekIndex.decode(index.encoded())
        let through = Self.run(archive, manifest, sample: .count(4), seed: 2, index: decoded)
        if case .used = through.seekIndexUse {} else { Issue.record("\(through.seekIndexUse?.summary ?? "nil")") }
        #expect(through.result.verdict == .fail)
        #expect(Set(through.kinds) == [.missing], "\(through.summary)")
    }

    @Test func changedArchiveIsNotReadThroughItsOldIndex() throws {
        let space = try Self.workspace()
        let manifest = try Self.manifest(space)
        let archive = try Self.tar(space, format: "gnu")
        let index = try Self.buildIndex(archive, manifest)
        try Tool.must(["touch", "-d", "2001-01-01", archive])
        let through = Self.run(archive, manifest, sample: .count(3), index: index)
        guard case .refused(let why)? = through.seekIndexUse else {
            Issue.record("\(through.seekIndexUse?.summary ?? "nil")")
            return
        }
        #expect(why.contains("modification time"))
        #expect(through.result.verdict == .pass)
    }

    /// No index from a damaged archive, nor (so far) from a compressed one; each says why.
    @Test func noIndexFromDamagedOrCompressedArchives() throws {
        let space = try Self.workspace()
        let manifest = try Self.manifest(space)
        let archive = try Self.tar(space, format: "gnu")
        let gz = try space.archive("a.tar.xz", ["tar", "-cJf", "@OUT", "."])
        let compressed = Self.run(gz, manifest, record: true)
        #expect(compressed.builtSeekIndex == nil)
        #expect(compressed.seekIndexNotBuilt?.contains("plain") == true, "\(compressed.seekIndexNotBuilt ?? "nil")")

        let size = try #require(FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int)
        try Tool.must(["truncate", "-s", "\(size - 20_000)", archive])
        let cut = Self.run(archive, manifest, record: true)
        #expect(cut.result.verdict == .fail)
        #expect(cut.builtSeekIndex == nil)
        #expect(cut.seekIndexNotBuilt?.contains("damaged") == true, "\(cut.seekIndexNotBuilt ?? "nil")")
    }

    /// A run that selects every entry reads sequentially: an index would save nothing.
    @Test func fullRunDoesNotUseTheIndex() throws {
        let space = try Self.workspace()
        let manifest = try Self.manifest(space)
        let archive = try Self.tar(space, format: "gnu")
        let index = try Self.buildIndex(archive, manifest)
        let all = Self.run(archive, manifest, sample: .percent(100), index: index, record: true)
        #expect(all.seekIndexUse == nil)
        #expect(all.builtSeekIndex == index)
    }
}
