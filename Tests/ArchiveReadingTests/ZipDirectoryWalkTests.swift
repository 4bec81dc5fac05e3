import ArchiveReading
import Foundation
import Synchronization
import Testing
import VerifyCore
import VerifyTestSupport

/// A sample of a plain zip takes its entries from the central directory instead of libarchive's
/// walk over every local header. On zips from several producers, good and damaged, and several
/// samples of each, the result is the same either way: verdict, every finding, entries seen,
/// checked and read, and each checked entry's digest. Zips whose directory does not decide every
/// entry for certain are walked by libarchive, as before.
struct ZipDirectoryWalkTests {
    /// (name, shell command making @OUT (archive.zip) from the tree in src, damage after, whether
    /// the directory is walked)
    static let cases: [(String, String, String?, Bool)] = [
        ("Info-ZIP deflated, with folders", "cd src && zip -q -r @OUT .", nil, true),
        ("Info-ZIP stored", "cd src && zip -q -0 -r @OUT .", nil, true),
        ("Info-ZIP forced zip64", "cd src && zip -q -fz -r @OUT .", nil, true),
        ("bsdtar, data descriptors", "cd src && bsdtar --format zip -cf @OUT .", nil, true),
        ("7-Zip", "cd src && 7z a -tzip -bd -bso0 -bsp0 @OUT .", nil, true),
        ("Python zipfile, MS-DOS host", "python3 -c \(python(system: 0))", nil, true),
        ("Python zipfile, Unix host", "python3 -c \(python(system: 3))", nil, true),
        ("Python zipfile, no attributes (libarchive decides the type)", "python3 -c \(python(system: 3, attributes: false))", nil, false),
        ("a name listed twice", "cd src && zip -q -r @OUT . && cd .. && python3 -c \(appendDuplicate)", nil, false),
        ("a symlink (libarchive reads its target)", "cd src && ln -s small/f1.txt link && zip -q -y -r @OUT .", nil, false),
        ("bzip2 members", "cd src && zip -q -Z bzip2 -r @OUT .", nil, false),
        ("encrypted members", "cd src && zip -q -P secret -r @OUT .", nil, false),
        ("a byte flipped in a deflated member", "cd src && zip -q -r @OUT .", "flip big/text.txt", true),
        ("a member's CRC changed in the central directory", "cd src && zip -q -r @OUT .", "crc big/noise.bin", true),
        ("a member's CRC changed in its local header", "cd src && zip -q -r @OUT .", "localcrc big/noise.bin", true),
        ("cut before the central directory", "cd src && zip -q -r @OUT .", "cut", false),
    ]

    static func python(system: Int, attributes: Bool = true) -> String {
        let script = """
            import os, zipfile
            with zipfile.ZipFile('archive.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                for root, dirs, files in sorted(os.walk('src')):
                    for name in sorted(dirs) + sorted(files):
                        path = os.path.join(root, name)
                        info = zipfile.ZipInfo.from_file(path, os.path.relpath(path, 'src'))
                        info.create_system = \(system)
                        if \(system) == 0:
                            info.external_attr = 0x10 if info.is_dir() else 0x20
                        if not \(attributes ? "True" : "False"):
                            info.external_attr = 0
                        info.compress_type = zipfile.ZIP_STORED if info.is_dir() else zipfile.ZIP_DEFLATED
                        z.writestr(info, b'' if info.is_dir() else open(path, 'rb').read())
            """
        return "'" + script.replacingOccurrences(of: "'", with: "\"") + "'"
    }

    static let appendDuplicate = "'import zipfile; z = zipfile.ZipFile(\"archive.zip\", \"a\"); z.writestr(\"small/f2.txt\", b\"another\"); z.close()' 2>/dev/null"

    @Test(arguments: cases.map(\.0))
    func sameResultAsLibarchiveWalk(name: String) throws {
        let (_, command, damage, walked) = Self.cases.first { $0.0 == name }!
        let temp = TemporaryDirectory()
        let (tree, archive) = try ZipMemberPoolTests.makeZip(in: temp, smallFiles: 60, command: command, damage: damage)
        // Only the files the tree holds are listed.
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")

        var samples: [(SamplePolicy, UInt64)] = [(.count(1), 1), (.percent(30), 2), (.percent(30), 3), (.percent(90), 4)]
        // Every entry, as a sample: the damaged member is read.
        if damage != nil { samples += [(.percent(50), 5), (.percent(100), 6)] }
        for (policy, seed) in samples {
            for threads in [2, 1] {
                let walk = run(archive, manifest, policy, seed: seed, threads: threads, fromDirectory: true)
                let libarchive = run(archive, manifest, policy, seed: seed, threads: threads, fromDirectory: false)
                let context = "\(name), \(policy) seed \(seed), \(threads) threads"
                // A sample of every entry is a full verify: libarchive reads every header.
                let everything: Bool = if case .percent(100) = policy { true } else { false }
                #expect(walk.report.entriesFromZipDirectory == (walked && !everything), "\(context)")
                #expect(!libarchive.report.entriesFromZipDirectory, "\(context)")
                let a = walk.report.result, b = libarchive.report.result
                let words = { (result: CheckResult) in result.findings.prefix(3).map { "\($0.kind) \($0.path?.description ?? "-") \($0.actual ?? "")" } }
                #expect(a.verdict == b.verdict, "\(context): \(words(a)) / \(words(b))")
                #expect(a.findings == b.findings, "\(context): \(words(a)) / \(words(b))")
                #expect(a.error == b.error, "\(context)")
                #expect(a.entriesSeen == b.entriesSeen, "\(context)")
                #expect(a.selected == b.selected && a.checked == b.checked, "\(context)")
                #expect(a.unexpectedCount == b.unexpectedCount, "\(context)")
                // A damaged entry's byte count depends on where its reading stopped, and a
                // header that libarchive finds damaged counts as read even when not sampled.
                let summary = { (entries: [EntryVerification]) in
                    entries.map { "\($0.path) \($0.failed) \($0.failed ? "-" : "\($0.digest?.hex ?? "") \($0.size ?? -1)")" }
                }
                #expect(summary(walk.entries) == summary(libarchive.entries), "\(context)")
                if damage == nil {
                    #expect(a.entriesRead == b.entriesRead && a.contentBytes == b.contentBytes, "\(context)")
                }
                if walked {
                    #expect(walk.report.format == libarchive.report.format, "\(context)")
                }
                if damage != nil, case .percent(100) = policy {
                    #expect(a.verdict != .pass, "\(context): the damage is found")
                }
                if damage == nil, name != "a name listed twice" {
                    #expect(a.verdict == (name.hasPrefix("encrypted") ? .error : .pass), "\(context): \(words(a))")
                }
            }
        }
    }

    /// A sampled member whose local header names it otherwise than the central directory does
    /// is damage, whichever name the manifest lists. Walking the directory reads only the
    /// sampled members' headers; libarchive walks every local header, and verifyd then compares
    /// each with the directory, so that way finds it whether sampled or not.
    @Test func localHeaderNamingAnotherMemberIsDamage() throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<8 { try tree.add("d/file\(index).txt", size: 2_000 + index, seed: UInt64(index)) }
        let archive = temp.file("archive.zip")
        try Tool.must(["sh", "-c", "cd src && zip -q -r '\(archive)' ."], in: temp.path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
        // The local header of d/file3.txt (signature, 26 bytes, then the name): "file3" -> "fileX".
        let name = Array("d/file3.txt".utf8)
        let signature: [UInt8] = [0x50, 0x4b, 0x03, 0x04]
        var found: Int?
        var at = 0
        while found == nil, let start = ZipMemberPoolTests.find(signature, in: bytes, from: at) {
            if bytes[(start + 30)...].starts(with: name) { found = start }
            at = start + 1
        }
        let local = try #require(found)
        try Corruption.flipByte(archive, at: local + 30 + 6, mask: UInt8(ascii: "3") ^ UInt8(ascii: "X"))
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        for seed in UInt64(1)...12 {
            for threads in [2, 1] {
                let walk = run(archive, manifest, .percent(60), seed: seed, threads: threads, fromDirectory: true)
                let libarchive = run(archive, manifest, .percent(60), seed: seed, threads: threads, fromDirectory: false)
                #expect(walk.report.entriesFromZipDirectory)
                let selected = manifest.entries.indices.contains { walk.report.sample?[$0] == true && manifest.entries.path(at: $0) == EntryPath("d/file3.txt") }
                let context = "seed \(seed), \(threads) threads, file3 \(selected ? "" : "not ")sampled"
                let whole = libarchive.report.result.findings.first
                #expect(whole?.path == nil && whole?.kind == .corruptArchive, "\(context): \(libarchive.report.result.findings)")
                #expect(whole?.actual?.contains("the central directory names member \"d/file3.txt\", its local header at byte \(local) names \"d/fileX.txt\"") == true, "\(context): \(whole?.actual ?? "")")
                if selected {
                    #expect(walk.report.result.findings.map(\.kind) == [.corruptArchive], "\(context): \(walk.report.result.findings)")
                    #expect(walk.report.result.findings.first?.actual?.contains("local header names it \"d/fileX.txt\"") == true, "\(context)")
                    #expect(libarchive.report.result.findings.map(\.kind) == [.corruptArchive, .missing], "\(context)")
                } else {
                    #expect(walk.report.result.verdict == .pass, "\(context)")
                    #expect(libarchive.report.result.findings.map(\.kind) == [.corruptArchive], "\(context)")
                }
            }
        }
    }

    /// A manifest that records modes or times is checked against libarchive's headers: the
    /// directory is not walked for it.
    @Test func manifestWithMetadataIsWalkedByLibarchive() throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<10 { try tree.add("f\(index).txt", size: 100 + index, seed: UInt64(index)) }
        let archive = temp.file("archive.zip")
        try Tool.must(["sh", "-c", "cd src && zip -q -r '\(archive)' ."], in: temp.path)
        let plain = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        #expect(run(archive, plain, .count(3), seed: 1, threads: 2, fromDirectory: true).report.entriesFromZipDirectory)
        try Tool.must(["sh", "-c", "bsdtar --format mtree --options '!all,type,size,mode,sha256' -cf m.mtree -C src ."], in: temp.path)
        let withModes = try Manifest.parse(Array(try Data(contentsOf: URL(fileURLWithPath: temp.file("m.mtree")))), file: "m.mtree")
        #expect(withModes.entries.recordsMetadata)
        let report = run(archive, withModes, .count(3), seed: 1, threads: 2, fromDirectory: true).report
        #expect(!report.entriesFromZipDirectory)
        #expect(report.result.verdict == .pass, "\(report.result.findings.prefix(3))")
    }

    func run(_ archive: String, _ manifest: Manifest, _ sample: SamplePolicy, seed: UInt64, threads: Int, fromDirectory: Bool)
        -> (report: VerificationReport, entries: [EntryVerification])
    {
        let collected = Mutex<[EntryVerification]>([])
        var request = VerificationRequest(archivePath: archive, manifest: manifest, sample: sample, seed: seed)
        request.threads = threads
        request.zipEntriesFromDirectory = fromDirectory
        request.onCheckpoint = { results in collected.withLock { $0 += results } }
        let report = ArchiveVerification.run(request)
        return (report, collected.withLock { $0 }.sorted { $0.path.description < $1.path.description })
    }
}
