import Foundation
import Testing
import VerifyTestSupport

/// `verifyctl check` on a tar that ends without its end-of-archive marker: the backup job that
/// died between two members, whose compressor then closed its stream cleanly.
struct TarEndCheckTests {
    /// GNU tar of four 5,000-byte files, `cut.tar` cut where the third member's header begins,
    /// and `cut.tar.gz` the same, compressed.
    static func cutArchive(_ temp: TemporaryDirectory) throws -> FixtureTree {
        var tree = FixtureTree(root: temp.file("src"))
        for index in 1...4 { try tree.add("f\(index).bin", size: 5_000, seed: UInt64(index)) }
        try Tool.must(["tar", "-cf", temp.file("full.tar"), "f1.bin", "f2.bin", "f3.bin", "f4.bin"], in: tree.root)
        // Two members of 512 + 5,120 bytes each.
        try Tool.must(["sh", "-c", "head -c 11264 full.tar > cut.tar && gzip -n -c cut.tar > cut.tar.gz"], in: temp.path)
        _ = FileManager.default.createFile(atPath: temp.file("MANIFEST.sha256"), contents: Data(tree.sha256Manifest()))
        return tree
    }

    @Test(arguments: ["cut.tar", "cut.tar.gz"], [1, 2])
    func aTarCutBetweenMembersFailsWithoutAManifest(name: String, threads: Int) throws {
        let temp = TemporaryDirectory()
        _ = try Self.cutArchive(temp)
        // GNU tar and bsdtar list it without a word.
        #expect(try Tool.run(["tar", "-tf", temp.file(name)]).status == 0)
        #expect(try Tool.run(["bsdtar", "-tf", temp.file(name)]).status == 0)

        let run = try CheckRun.run([temp.file(name), "--threads", "\(threads)"])
        #expect(run.status == 1 && run.verdict == "fail", "\(run.stdout)")
        #expect(run.failureKinds() == ["corrupt_archive"])
        let actual = (run.json?["failures"]?.arrayValue?.first?["actual"]?.stringValue) ?? ""
        #expect(actual.hasPrefix("truncated: no end-of-archive marker after entry \"f2.bin\" (the tar data ends at byte 11264"), "\(actual)")

        let text = try Tool.run([Tool.verifyctl, "check", temp.file(name), "--threads", "\(threads)"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("FAIL corrupt_archive"), "\(text.stdout)")
        #expect(text.stdout.contains("no end-of-archive marker after entry \"f2.bin\""), "\(text.stdout)")
    }

    @Test func withAManifestTheMembersCutOffAreMissingToo() throws {
        let temp = TemporaryDirectory()
        _ = try Self.cutArchive(temp)
        let run = try CheckRun.run([temp.file("cut.tar.gz"), "-m", temp.file("MANIFEST.sha256")])
        #expect(run.status == 1)
        let failures = run.failures
        #expect(failures.first?.kind == "corrupt_archive" && failures.first?.path == nil, "\(failures)")
        #expect(Set(failures.filter { $0.kind == "missing" }.compactMap(\.path)) == ["f3.bin", "f4.bin"], "\(failures)")
    }

    @Test(arguments: [1, 2])
    func restoreModeFailsItTooAndLeavesTheFolderEmpty(threads: Int) throws {
        let temp = TemporaryDirectory()
        _ = try Self.cutArchive(temp)
        let scratch = temp.file("scratch")
        let run = try CheckRun.run([temp.file("cut.tar.gz"), "-m", temp.file("MANIFEST.sha256"), "--restore-to", scratch, "--threads", "\(threads)"])
        #expect(run.status == 1, "\(run.stdout)")
        let actual = (run.json?["failures"]?.arrayValue?.first?["actual"]?.stringValue) ?? ""
        #expect(actual.hasPrefix("truncated: no end-of-archive marker after entry \"f2.bin\""), "\(actual)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? ["unreadable"]).isEmpty)
    }

    @Test func aWholeArchiveStillPassesAndOneAppendedToItIsTrailingData() throws {
        let temp = TemporaryDirectory()
        _ = try Self.cutArchive(temp)
        #expect(try CheckRun.run([temp.file("full.tar"), "-m", temp.file("MANIFEST.sha256")]).status == 0)
        // `cat a.tar b.tar`: tar -x stops at the first marker and restores none of the second.
        try Tool.must(["sh", "-c", "cat full.tar full.tar > twice.tar && zstd -q -c twice.tar > twice.tar.zst"], in: temp.path)
        for name in ["twice.tar", "twice.tar.zst"] {
            let run = try CheckRun.run([temp.file(name), "-m", temp.file("MANIFEST.sha256")])
            #expect(run.status == 1, "\(name): \(run.stdout)")
            let actual = (run.json?["failures"]?.arrayValue?.first?["actual"]?.stringValue) ?? ""
            #expect(actual.hasPrefix("trailing data after the end-of-archive marker"), "\(name): \(actual)")
            #expect(actual.contains("it starts with a tar header for \"f1.bin\""), "\(name): \(actual)")
            #expect(run.json?["checked"]?.integerValue == 4, "every entry was still checked")
        }
        // GNU tar itself sees only the first copy without --ignore-zeros.
        #expect(try Tool.run(["tar", "-tf", temp.file("twice.tar")]).stdout.split(separator: "\n").count == 4)
        #expect(try Tool.run(["tar", "-itf", temp.file("twice.tar")]).stdout.split(separator: "\n").count == 8)
    }
}
