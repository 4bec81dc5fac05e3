import ArchiveReading
import Foundation
import Synchronization
import Testing
import VerifyCore
import VerifyTestSupport

/// Two threads may change nothing but the time (hashing on the second, gzip/zstd/xz/bzip2
/// decompressed on it, or zip members shared with a second reader): on every kind of archive,
/// good or damaged, sampled or not, one thread and two give the same digest for every entry and
/// the same verdict and findings.
struct HashThreadTests {
    /// A tree that stresses the hand-off: more tiny files than the reader lets run ahead of the
    /// hashing thread (4,096), files larger than a batch (1 MiB), empty files, hard links.
    static func makeTree(_ temp: TemporaryDirectory) throws -> FixtureTree {
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<4_200 {
            try tree.add("tiny/\(index % 10)/t\(index).txt", size: index % 97, seed: UInt64(index))
        }
        try tree.add("big/noise.bin", size: 3 << 20 | 12_345, seed: 7, compressible: false)
        try tree.add("big/text.txt", size: 2 << 20, seed: 8)
        try tree.add("big/exact-batch.bin", size: 1 << 20, seed: 9, compressible: false)
        try tree.add("empty", [])
        try tree.hardlink("big/noise-link.bin", to: "big/noise.bin")
        return tree
    }

    /// (name, how to make the archive from the tree in src into @OUT, what damages it afterwards)
    static let cases: [(String, String, String?)] = [
        ("GNU tar", "tar -cf @OUT -C src .", nil),
        ("tar.gz", "tar -czf @OUT -C src .", nil),
        ("tar.zst", "tar --zstd -cf @OUT -C src .", nil),
        ("zip", "cd src && zip -q -r @OUT .", nil),
        ("tar.xz", "tar -cJf @OUT -C src .", nil),
        ("tar.bz2", "tar -cjf @OUT -C src .", nil),
        ("tar.zst cut in the middle", "tar --zstd -cf @OUT -C src .", "cut"),
        ("tar.xz cut in the middle", "tar -cJf @OUT -C src .", "cut"),
        ("cpio newc (link data with the last name)", "cd src && find . | cpio --quiet -o -H newc > @OUT", nil),
        ("tar, byte flipped in a large file", "tar -cf @OUT -C src .", "flip big/noise.bin"),
        ("tar.gz cut in the middle", "tar -czf @OUT -C src .", "cut"),
        ("zip, byte flipped in a large member", "cd src && zip -q -0 -r @OUT .", "flip big/noise.bin"),
        ("zip, byte flipped in a large deflated member", "cd src && zip -q -r @OUT .", "flip big/text.txt@deflated"),
        ("zip cut in the middle", "cd src && zip -q -r @OUT .", "cut"),
    ]

    @Test(arguments: cases.map(\.0))
    func oneThreadAndTwoAgree(name: String) throws {
        let (_, command, damage) = Self.cases.first { $0.0 == name }!
        let temp = TemporaryDirectory()
        let tree = try Self.makeTree(temp)
        let archive = temp.file("archive.out")
        try Tool.must(["sh", "-c", command.replacingOccurrences(of: "@OUT", with: "'\(archive)'")], in: temp.path)
        if let damage {
            if damage == "cut" {
                try Corruption.truncate(archive, to: Int(try Self.size(archive) / 2))
            } else if damage.hasSuffix("@deflated") {
                // Deflated data cannot be found by its content: flip inside the member, after its
                // local header (found by name), where its compressed data is.
                let name = String(damage.dropFirst(5).dropLast(9))
                let found = try Corruption.offset(of: Array(name.utf8), in: archive)
                let offset = try #require(found)
                try Corruption.flipByte(archive, at: offset + 50_000, mask: 0x55)
            } else {
                let needle = Array(tree.files[String(damage.dropFirst(5))]!.prefix(64))
                let found = try Corruption.offset(of: needle, in: archive)
                let offset = try #require(found)
                try Corruption.flipByte(archive, at: offset + 100_000)
            }
        }
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        for sample in [SamplePolicy.all, .percent(30)] {
            let one = Self.run(archive, manifest, sample, threads: 1)
            let two = Self.run(archive, manifest, sample, threads: 2)
            let context = "\(name), \(sample)"
            if damage == nil || sample == .all {
                #expect(one.report.result.verdict == (damage == nil ? .pass : .fail), "\(context): \(one.report.summary)")
            }
            #expect(two.report.result.verdict == one.report.result.verdict, "\(context): \(two.report.summary)")
            // Per entry, the same findings word for word. For the archive as a whole, the same
            // kinds: where a cut-off zip is first noticed (reading a member, or the next header
            // after a member the other reader took) may word it differently.
            #expect(two.report.result.findings.filter { $0.path != nil } == one.report.result.findings.filter { $0.path != nil },
                    "\(context): \(two.report.summary) / \(one.report.summary)")
            #expect(two.report.result.findings.filter { $0.path == nil }.map(\.kind) == one.report.result.findings.filter { $0.path == nil }.map(\.kind),
                    "\(context): \(two.report.summary) / \(one.report.summary)")
            #expect(two.report.result.checked == one.report.result.checked, "\(context)")
            // A damaged entry's size is how far libarchive got before it noticed, which depends on
            // how the file was read (a damaged zip member is read by a second libarchive reader
            // that seeked to it): compared for every other entry.
            let comparable = { (entries: [EntryVerification]) in
                entries.map { $0.failed && $0.digest == nil ? EntryVerification(path: $0.path, failed: true) : $0 }
            }
            #expect(comparable(two.entries) == comparable(one.entries), "\(context): every entry's digest and size")
            if damage == nil, sample == .all {
                #expect(one.entries.count == tree.files.count, "\(context): every entry has a result")
            }
        }
    }

    /// A zip's members are read by two readers; a budget stops both before their next entry, and
    /// what was not reached is "not verified", never damage.
    @Test func aBudgetStopsBothZipReadersCleanly() throws {
        // Members of 32 MiB of zeros: small in the zip, each a while to inflate and hash.
        let temp = TemporaryDirectory()
        let src = TemporaryDirectory.childPath(of: temp, "src")
        var hasher = ContentHasher(algorithms: [.sha256])
        hasher.updateZeros(count: 32 << 20)
        let digest = hasher.finalize()[0].hex
        var lines = ""
        for index in 0..<12 {
            try Tool.must(["truncate", "-s", "32M", "\(src)/zero\(index)"])
            lines += "\(digest)  zero\(index)\n"
        }
        let archive = temp.file("a.zip")
        try Tool.must(["sh", "-c", "cd src && zip -q -r '\(archive)' ."], in: temp.path)
        var request = VerificationRequest(archivePath: archive, manifest: try Manifest.parse(Array(lines.utf8), file: "MANIFEST.sha256"), seed: 1)
        request.maxSeconds = 0.05
        let report = ArchiveVerification.run(request)
        #expect(report.budgetReached != nil, "\(report.summary)")
        #expect(report.result.verdict == .pass, "\(report.summary)")
        #expect(report.result.findings.isEmpty, "not reached is not verified, never damage")
        #expect(report.result.checked > 0 && report.result.checked < 12, "\(report.result.checked) checked")
    }

    @Test func manifestCreateGivesTheSameManifestWithOneThreadOrTwo() throws {
        let temp = TemporaryDirectory()
        _ = try Self.makeTree(temp)
        let archive = temp.file("a.tar.gz")
        try Tool.must(["tar", "-czf", archive, "-C", temp.file("src"), "."])
        var manifests: [[ManifestEntry]] = []
        for threads in [1, 2] {
            let reader = try ArchiveReader(path: archive, options: .init(threads: threads))
            let collector = ManifestCollector(algorithm: .sha256)
            let outcome = reader.read(into: collector)
            #expect(outcome.damage == nil && outcome.ioError == nil)
            manifests.append(collector.finish())
        }
        #expect(manifests[0].count > 4_200)
        #expect(manifests[0] == manifests[1])
    }

    static func size(_ path: String) throws -> Int64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func run(_ archive: String, _ manifest: Manifest, _ sample: SamplePolicy, threads: Int)
        -> (report: VerificationReport, entries: [EntryVerification])
    {
        let collected = Mutex<[EntryVerification]>([])
        var request = VerificationRequest(archivePath: archive, manifest: manifest, sample: sample, seed: 3)
        request.threads = threads
        request.onCheckpoint = { results in collected.withLock { $0 += results } }
        let report = ArchiveVerification.run(request)
        let entries = collected.withLock { $0 }.sorted { $0.path.description < $1.path.description }
        return (report, entries)
    }
}
