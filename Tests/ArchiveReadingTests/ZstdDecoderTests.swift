import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// With two threads a `.tar.zst` is decompressed by libzstd directly; with one, by libarchive's
/// zstd filter. On every shape of zstd stream, good or bad, both give the same verdict and the
/// same findings word for word (the archive-level damage included).
struct ZstdDecoderTests {
    /// (name, shell command making @OUT from archive.tar in the working folder, expected verdict)
    static let cases: [(String, String, Verdict)] = [
        ("one frame with a checksum", "zstd -q -c archive.tar > @OUT", .pass),
        ("two frames, split mid-entry",
         "head -c 300001 archive.tar | zstd -q -c > @OUT && tail -c +300002 archive.tar | zstd -q -c >> @OUT", .pass),
        ("a skippable frame between two frames",
         "head -c 70000 archive.tar | zstd -q -c > @OUT && printf '\\120\\052\\115\\030\\005\\000\\000\\000hello' >> @OUT"
            + " && tail -c +70001 archive.tar | zstd -q -c >> @OUT", .pass),
        ("frames without checksums, sizes unknown", "cat archive.tar | zstd -q --no-check -c > @OUT", .pass),
        ("cut ten bytes short", "zstd -q -c archive.tar > full.zst && head -c -10 full.zst > @OUT", .fail),
        ("cut after the first frame's header", "zstd -q -c archive.tar | head -c 20 > @OUT", .fail),
        ("a byte flipped in the compressed data", "zstd -q -c archive.tar > @OUT", .fail),
        ("garbage after the last frame", "zstd -q -c archive.tar > @OUT && printf 'not zstd at all' >> @OUT", .fail),
        ("a window larger than the decoder allows", "cat archive.tar | zstd -q --long=31 -c > @OUT", .fail),
    ]

    @Test(arguments: cases.map(\.0))
    func libzstdAndLibarchiveAgree(name: String) throws {
        let (_, command, expected) = Self.cases.first { $0.0 == name }!
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<300 { try tree.add("small/f\(index).txt", size: index * 37 % 2_000, seed: UInt64(index)) }
        try tree.add("big/noise.bin", size: 600_000, seed: 5, compressible: false)
        try tree.add("big/text.txt", size: 900_000, seed: 6)
        // The same bytes on every run (no file times, names sorted), so every damage case hits
        // the same place each time.
        try Tool.must(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                       "-cf", temp.file("archive.tar"), "-C", temp.file("src"), "."])
        let archive = temp.file("archive.tar.zst")
        let script = command.replacingOccurrences(of: "@OUT", with: "'\(archive)'")
        try Tool.must(["sh", "-c", script], in: temp.path)
        if name.hasPrefix("a byte flipped") {
            // XOR, so the byte always changes (writing a fixed value changes nothing when the
            // byte already has it).
            let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as! Int
            try Corruption.flipByte(archive, at: size / 2, mask: 0x55)
        }

        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        let one = HashThreadTests.run(archive, manifest, .all, threads: 1)
        let two = HashThreadTests.run(archive, manifest, .all, threads: 2)
        let first = { (report: VerificationReport) in report.result.findings.prefix(2).map { "\($0.kind) \($0.path?.description ?? "-") \($0.actual ?? "")" } }
        #expect(one.report.result.verdict == expected, "\(name): \(first(one.report))")
        #expect(two.report.result.verdict == one.report.result.verdict, "\(name): \(first(two.report))")
        #expect(two.report.result.findings == one.report.result.findings, "\(name): \(first(two.report)) / \(first(one.report))")
        #expect(two.report.result.error == one.report.result.error, "\(name)")
        #expect(two.entries == one.entries, "\(name): every entry's digest and size")
        if expected == .fail {
            #expect(!two.report.result.findings.isEmpty, "\(name): the damage is reported")
        }
    }
}
