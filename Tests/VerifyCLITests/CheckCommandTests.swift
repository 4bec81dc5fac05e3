import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// The real `verifyctl` binary: exit codes, JSON, sampling, manifest creation.
@Suite struct CheckCommandTests {
    let temp = TemporaryDirectory()
    let tree: FixtureTree
    var archive: String { temp.file("backup.tar.gz") }
    var manifest: String { temp.file("backup.sha256") }

    init() throws {
        tree = try FixtureTree.standard(at: temp.file("src"), seed: 4)
        try Tool.must(["tar", "-czf", temp.file("backup.tar.gz"), "."], in: tree.root)
        _ = FileManager.default.createFile(atPath: temp.file("backup.sha256"), contents: Data(tree.sha256Manifest()))
    }

    @Test func passPrintsAReportAndExitsZero() throws {
        let result = try Tool.run([Tool.verifyctl, "check", archive, "--manifest", manifest, "--seed", "7"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("result    PASS"))
        #expect(result.stdout.contains("seed 7"))
    }

    @Test func jsonHasTheDocumentedFields() throws {
        let run = try CheckRun.run([archive, "-m", manifest, "--seed", "11"])
        #expect(run.status == 0 && run.verdict == "pass")
        for key in ["result", "archive", "checked", "failures", "unexpected", "error", "seed", "bytesRead", "durationSeconds"] {
            #expect(run.json?[key] != nil, "missing \(key)")
        }
        #expect(run.json?["seed"]?.stringValue == "11")
        #expect(run.json?["checked"]?.integerValue == Int64(tree.files.count))
    }

    @Test func corruptedArchiveExitsOne() throws {
        try Corruption.flipByte(archive, at: -7)
        let run = try CheckRun.run([archive, "-m", manifest])
        #expect(run.status == 1 && run.verdict == "fail")
        #expect(run.failureKinds() == ["corrupt_archive"])
    }

    @Test func contentMismatchNamesTheFileWithExpectedAndActual() throws {
        var bad = tree.sha256Manifest()
        bad[3] = bad[3] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        _ = FileManager.default.createFile(atPath: manifest, contents: Data(bad))
        let result = try Tool.run([Tool.verifyctl, "check", archive, "-m", manifest])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL content_mismatch"))
        #expect(result.stdout.contains("expected sha256"))
        #expect(result.stdout.contains("actual   sha256"))
    }

    @Test func errorsExitTwoAndNameTheFileAndLine() throws {
        let missing = try CheckRun.run([temp.file("nope.tar"), "-m", manifest])
        #expect(missing.status == 2 && missing.verdict == "error")
        let noManifest = try CheckRun.run([archive, "-m", temp.file("nope.sha256")])
        #expect(noManifest.status == 2)
        _ = FileManager.default.createFile(atPath: temp.file("bad.sha256"), contents: Data("\(String(repeating: "a", count: 64))  ok\nnot a line\n".utf8))
        let malformed = try Tool.run([Tool.verifyctl, "check", archive, "-m", temp.file("bad.sha256")])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("bad.sha256:2:"), "\(malformed.stderr)")
    }

    @Test(arguments: [["--sample", "3", "--all"], ["--sample-percent", "101"], ["--bogus"], [], ["--format", "xml"]])
    func usageErrorsExit64(extra: [String]) throws {
        let arguments = extra.isEmpty ? [Tool.verifyctl, "check"] : [Tool.verifyctl, "check", archive, "-m", manifest] + extra
        #expect(try Tool.run(arguments).status == 64)
    }

    @Test func sampleIsReplayableBySeed() throws {
        // Damage every file's digest so the failures name the sampled entries.
        let text = String(decoding: tree.sha256Manifest(), as: UTF8.self)
            .split(separator: "\n").map { "0" + $0.dropFirst() }.joined(separator: "\n") + "\n"
        _ = FileManager.default.createFile(atPath: manifest, contents: Data(text.utf8))
        let a = try CheckRun.run([archive, "-m", manifest, "--sample", "5", "--seed", "99"])
        let b = try CheckRun.run([archive, "-m", manifest, "--sample", "5", "--seed", "99"])
        let c = try CheckRun.run([archive, "-m", manifest, "--sample", "5", "--seed", "100"])
        #expect(a.json?["checked"]?.integerValue == 5)
        let paths = { (run: CheckRun) in Set(run.failures.compactMap(\.path)) }
        #expect(paths(a).count == 5 && paths(a) == paths(b))
        #expect(paths(a) != paths(c))
    }

    @Test func sidecarDigestIsFoundAndChecked() throws {
        try Tool.must(["sh", "-c", "sha256sum backup.tar.gz > backup.tar.gz.sha256"], in: temp.path)
        let good = try CheckRun.run([archive, "-m", manifest])
        #expect(good.status == 0 && good.json?["archiveDigest"]?["matches"] == .bool(true))
        let sidecar = try String(contentsOfFile: temp.file("backup.tar.gz.sha256"), encoding: .utf8)
        let other = sidecar.hasPrefix("0") ? "1" : "0"
        _ = FileManager.default.createFile(atPath: temp.file("backup.tar.gz.sha256"), contents: Data((other + sidecar.dropFirst()).utf8))
        let bad = try CheckRun.run([archive, "-m", manifest])
        #expect(bad.status == 1 && bad.failureKinds() == ["corrupt_archive"])
    }

    @Test func neverWritesIntoTheBackupFolder() throws {
        let before = try FileManager.default.contentsOfDirectory(atPath: temp.path).sorted()
        _ = try CheckRun.run([archive, "-m", manifest])
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).sorted() == before)
    }
}

@Suite struct ManifestCreateTests {
    @Test func sha256sumOutputIsAcceptedBySha256sumCheck() throws {
        let temp = TemporaryDirectory()
        var tree = try FixtureTree.standard(at: temp.file("src"), seed: 8)
        try tree.add("odd/new\nline and \\back.txt", size: 40, seed: 1)
        try Tool.must([Tool.verifyctl, "manifest", "create", tree.root, "-o", temp.file("M")])
        let check = try Tool.run(["sha256sum", "-c", "--strict", temp.file("M")], in: tree.root)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.components(separatedBy: ": OK").count - 1 == tree.files.count)
    }

    @Test func mtreeOutputIsReadByBsdtarAndVerifies() throws {
        let temp = TemporaryDirectory()
        let tree = try FixtureTree.standard(at: temp.file("src"), seed: 9)
        try tree.symlink("link", to: "etc/hosts")
        try Tool.must([Tool.verifyctl, "manifest", "create", tree.root, "--format", "mtree", "-o", temp.file("M.mtree")])
        let listed = try Tool.must(["bsdtar", "-tf", temp.file("M.mtree")], in: tree.root).stdout
        #expect(listed.contains("etc/hosts") && listed.contains("link"))
        try Tool.must(["tar", "-cf", temp.file("a.tar"), "."], in: tree.root)
        let run = try CheckRun.run([temp.file("a.tar"), "-m", temp.file("M.mtree")])
        #expect(run.status == 0, "\(run.stdout)")
    }

    @Test(arguments: ["json", "bsd"])
    func otherFormatsRoundTripThroughCheck(format: String) throws {
        let temp = TemporaryDirectory()
        let tree = try FixtureTree.standard(at: temp.file("src"), seed: 10)
        try Tool.must(["bsdtar", "--format=zip", "-cf", temp.file("a.zip"), "."], in: tree.root)
        try Tool.must([Tool.verifyctl, "manifest", "create", temp.file("a.zip"), "--format", format, "--algorithm", "sha512", "-o", temp.file("M")])
        let run = try CheckRun.run([temp.file("a.zip"), "-m", temp.file("M")])
        #expect(run.status == 0, "\(run.stdout)")
    }

    /// Thousands of failures, many times the output buffer: every one is in the report, the
    /// JSON parses (by another parser too), and under --strict every unexpected entry counts.
    @Test func aReportOfThousandsOfFailuresIsWholeAndValid() throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: temp.file("src"))
        for index in 0..<1_500 { try tree.add("extra/\(index)-\"q\"\\.txt", [UInt8(index & 0xff)]) }
        try Tool.must(["tar", "-cf", temp.file("a.tar"), "."], in: tree.root)
        let missing = 4_000
        let line = String(repeating: "ab", count: 32) + "  listed/but/never/archived/file-"
        let text = (0..<missing).map { line + "\($0)\n" }.joined()
        _ = FileManager.default.createFile(atPath: temp.file("M.sha256"), contents: Data(text.utf8))

        let run = try CheckRun.run([temp.file("a.tar"), "-m", temp.file("M.sha256"), "--strict"])
        #expect(run.status == 1 && run.verdict == "fail", "\(run.stderr)")
        #expect(run.failures.filter { $0.kind == "missing" }.count == missing)
        #expect(run.failures.filter { $0.kind == "unexpected" }.count == 1_500)
        #expect(run.json?["unexpectedCount"]?.integerValue == 1_500)
        _ = FileManager.default.createFile(atPath: temp.file("report.json"), contents: Data(run.stdout.utf8))
        let python = try Tool.run(["python3", "-c", "import json,sys; print(len(json.load(open(sys.argv[1]))['failures']))", temp.file("report.json")])
        #expect(python.stdout == "\(missing + 1_500)\n", "\(python.stderr)")

        let human = try Tool.run([Tool.verifyctl, "check", temp.file("a.tar"), "-m", temp.file("M.sha256"), "--strict"])
        #expect(human.status == 1)
        let lines = human.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { $0.hasPrefix("FAIL missing ") }.count == missing)
        #expect(lines.filter { $0.hasPrefix("FAIL unexpected ") }.count == 1_500)
        #expect(human.stdout.contains("result    FAIL: \(missing + 1_500) failures (missing \(missing), unexpected 1500)"), "\(lines.suffix(3))")
        #expect(human.stdout.hasSuffix("/s)\n"))
    }

    /// A B2SUMS list written by coreutils' b2sum verifies an archive (BLAKE2b, not SHA-512);
    /// a changed file fails; verifyctl writes a b2sum list that b2sum -c accepts.
    @Test func b2sumListsFromCoreutilsVerify() throws {
        let temp = TemporaryDirectory()
        let tree = try FixtureTree.standard(at: temp.file("src"), seed: 21)
        try Tool.must(["sh", "-c", "find . -type f -print0 | sort -z | xargs -0 b2sum > ../B2SUMS"], in: tree.root)
        try Tool.must(["tar", "-czf", temp.file("a.tar.gz"), "."], in: tree.root)
        let run = try CheckRun.run([temp.file("a.tar.gz"), "-m", temp.file("B2SUMS")])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.json?["manifest"]?["format"]?.stringValue == "b2sum")

        // The same list under a name that does not say b2sum: read as SHA-512, with a hint.
        try FileManager.default.copyItem(atPath: temp.file("B2SUMS"), toPath: temp.file("list.txt"))
        let misnamed = try Tool.run([Tool.verifyctl, "check", temp.file("a.tar.gz"), "-m", temp.file("list.txt")])
        #expect(misnamed.status == 1 && misnamed.stdout.contains("if b2sum wrote this list, name it B2SUMS"), "\(misnamed.stdout)")

        try Tool.must(["sh", "-c", "printf changed >> etc/hosts && tar -czf ../b.tar.gz ."], in: tree.root)
        let changed = try CheckRun.run([temp.file("b.tar.gz"), "-m", temp.file("B2SUMS")])
        #expect(changed.status == 1 && changed.failures.map(\.kind) == ["content_mismatch"], "\(changed.stdout)")
        #expect(changed.failures.first?.path == "etc/hosts")

        try Tool.must([Tool.verifyctl, "manifest", "create", tree.root, "--format", "b2sum", "-o", temp.file("mine.b2")])
        #expect(try Tool.run(["b2sum", "--quiet", "-c", temp.file("mine.b2")], in: tree.root).status == 0)
        let refused = try Tool.run([Tool.verifyctl, "manifest", "create", tree.root, "--algorithm", "blake2b", "--format", "sha256sum"])
        #expect(refused.status == 64 && refused.stderr.contains("blake2b digests need --format b2sum"), "\(refused.stderr)")
    }
}
