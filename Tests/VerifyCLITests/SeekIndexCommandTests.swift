import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// `verifyctl index` and `verifyctl check --index`, with the real binary.
@Suite struct SeekIndexCommandTests {
    let temp = TemporaryDirectory()
    let tree: FixtureTree
    var archive: String { temp.file("backup.tar") }
    var manifest: String { temp.file("backup.sha256") }
    var index: String { temp.file("backup.tar.vidx") }

    init() throws {
        tree = try FixtureTree.standard(at: temp.file("src"), seed: 9)
        try Tool.must(["tar", "-cf", temp.file("backup.tar"), "."], in: tree.root)
        _ = FileManager.default.createFile(atPath: temp.file("backup.sha256"), contents: Data(tree.sha256Manifest()))
    }

    @Test func indexCommandWritesAnIndexThatCheckUses() throws {
        let built = try Tool.run([Tool.verifyctl, "index", archive, "-o", index])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.contains("entries"))
        let sampled = try CheckRun.run([archive, "-m", manifest, "--sample", "3", "--seed", "4", "--index", index])
        #expect(sampled.status == 0 && sampled.verdict == "pass", "\(sampled.stdout)")
        let note = sampled.json?["seekIndex"]?.stringValue ?? ""
        #expect(note.contains("seek index used: "), "\(note)")
        let plain = try CheckRun.run([archive, "-m", manifest, "--sample", "3", "--seed", "4"])
        #expect(plain.json?["checked"] == sampled.json?["checked"])
        #expect(plain.json?["entriesRead"] == sampled.json?["entriesRead"])
        #expect((sampled.json?["bytesRead"]?.integerValue ?? .max) < (plain.json?["bytesRead"]?.integerValue ?? 0))
    }

    @Test func checkWritesTheIndexOnAFullRead() throws {
        let full = try Tool.run([Tool.verifyctl, "check", archive, "-m", manifest, "--index", index])
        #expect(full.status == 0)
        #expect(full.stdout.contains("index     written to \(index)"), "\(full.stdout)")
        #expect(FileManager.default.fileExists(atPath: index))
    }

    /// A damaged index file is named, not used, and replaced; the verdict is the sequential one.
    @Test func damagedIndexIsNamedAndReplaced() throws {
        try Tool.must([Tool.verifyctl, "index", archive, "-o", index])
        try Corruption.flipByte(index, at: 40)
        let run = try CheckRun.run([archive, "-m", manifest, "--sample", "3", "--index", index])
        #expect(run.status == 0 && run.verdict == "pass")
        let note = run.json?["seekIndex"]?.stringValue ?? ""
        #expect(note.contains("checksum"), "\(note)")
        #expect(note.contains("written to"), "\(note)")
        let again = try CheckRun.run([archive, "-m", manifest, "--sample", "3", "--index", index])
        #expect(again.json?["seekIndex"]?.stringValue?.contains("seek index used") == true)
    }

    /// A tar.gz gets an index (gzip checkpoints), which a sample then reads through.
    @Test func gzipArchiveGetsAnIndexThatCheckUses() throws {
        try Tool.must(["gzip", "-k", archive])
        let built = try Tool.run([Tool.verifyctl, "index", archive + ".gz", "-o", index])
        #expect(built.status == 0, "\(built.stderr)")
        let sampled = try CheckRun.run([archive + ".gz", "-m", manifest, "--sample", "3", "--seed", "4", "--index", index])
        #expect(sampled.status == 0 && sampled.verdict == "pass", "\(sampled.stdout)")
        // Used, or declined as costlier than a whole read (this small archive has few
        // checkpoints: a sample of 3 may span most of it); never rewritten while it is current.
        let note = sampled.json?["seekIndex"]?.stringValue ?? ""
        #expect(note.contains("seek index used: ") || note.contains("reading it whole is faster"), "\(note)")
        #expect(!note.contains("written to"), "\(note)")
        let plain = try CheckRun.run([archive + ".gz", "-m", manifest, "--sample", "3", "--seed", "4"])
        #expect(plain.json?["checked"] == sampled.json?["checked"])
        #expect(plain.json?["entriesRead"] == sampled.json?["entriesRead"])
    }

    @Test func otherCompressedArchiveSaysWhyNoIndex() throws {
        try Tool.must(["xz", "-k", archive])
        let result = try Tool.run([Tool.verifyctl, "index", archive + ".xz", "-o", index])
        #expect(result.status == 2)
        #expect(result.stderr.contains("plain"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: index))
    }

    /// No index is made from a damaged archive: exit 1, the damage named, no file left.
    @Test func damagedArchiveGetsNoIndex() throws {
        let size = try #require(FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int)
        try Corruption.truncate(archive, to: size - 30_000)
        let result = try Tool.run([Tool.verifyctl, "index", archive, "-o", index])
        #expect(result.status == 1)
        #expect(result.stderr.contains("damaged, no index made"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: index))
    }

    @Test func indexOfAStreamIsRefused() throws {
        let result = try Tool.run([Tool.verifyctl, "check", "-", "--index", index], input: [])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--index"))
    }
}
