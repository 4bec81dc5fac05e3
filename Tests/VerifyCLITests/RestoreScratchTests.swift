import Foundation
import Testing
import VerifyTestSupport

/// The restore scratch folder against hostile archives: a tree nested deeper than PATH_MAX is
/// restored, checked from disk and removed whole; a restore stops before its file system's
/// reserve.
struct RestoreScratchTests {
    @Test func aTreeDeeperThanPathMaxIsRestoredCheckedAndRemovedWhole() throws {
        let temp = TemporaryDirectory()
        let deep = try RestoreScratchFixture.deepArchive(temp)
        #expect(deep.path.utf8.count > Int(PATH_MAX), "the fixture nests beyond PATH_MAX")
        let scratch = temp.file("scratch")
        let run = try CheckRun.run([deep.archive, "-m", deep.manifest, "--restore-to", scratch])
        #expect(run.status == 0, "the file at the bottom is restored and read back from disk: \(run.stdout) \(run.stderr)")
        #expect(run.json?["checked"]?.integerValue == 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch)
        #expect(left.isEmpty, "the scratch folder is emptied at any depth: \(left)")

        // A restore folder named through a symlink is used and emptied too.
        try FileManager.default.createSymbolicLink(atPath: temp.file("via-link"), withDestinationPath: scratch)
        let linked = try CheckRun.run([deep.archive, "-m", deep.manifest, "--restore-to", temp.file("via-link")])
        #expect(linked.status == 0, "\(linked.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }

    @Test func aRestoreStopsBeforeItsFileSystemsReserve() throws {
        let temp = TemporaryDirectory()
        let tree = try FixtureTree.standard(at: temp.file("tree"), seed: 3)
        try Tool.must(["tar", "-czf", temp.file("a.tar.gz"), "-C", tree.root, "."])
        _ = FileManager.default.createFile(atPath: temp.file("a.sha256"), contents: Data(tree.sha256Manifest()))
        let scratch = temp.file("scratch")
        // A reserve larger than any disk: not one byte may be written.
        let run = try CheckRun.run([temp.file("a.tar.gz"), "-m", temp.file("a.sha256"), "--restore-to", scratch, "--restore-reserve", "\(Int64(1) << 60)"])
        #expect(run.status == 2, "\(run.stdout)")
        #expect(run.verdict == "error")
        let error = run.json?["error"]?.stringValue ?? ""
        #expect(error.contains("cannot restore: the file system of the restore folder has"), "\(error)")
        #expect(error.contains("\(Int64(1) << 60) bytes (restore_reserve)"), "\(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        // The same restore with no reserve passes.
        let fine = try CheckRun.run([temp.file("a.tar.gz"), "-m", temp.file("a.sha256"), "--restore-to", scratch, "--restore-reserve", "0"])
        #expect(fine.status == 0, "\(fine.stdout)")
    }

    /// Mounts a tmpfs of `megabytes` at `path`; false where this machine does not allow it.
    static func mountTmpfs(_ path: String, megabytes: Int) -> Bool {
        guard geteuid() == 0, (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil else { return false }
        return (try? Tool.run(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]))?.status == 0
    }

    static let canMount: Bool = {
        let temp = TemporaryDirectory()
        let path = temp.file("probe")
        guard mountTmpfs(path, megabytes: 1) else { return false }
        _ = try? Tool.run(["umount", path])
        return true
    }()

    @Test(.enabled(if: canMount, "needs root and permission to mount a tmpfs"))
    func aRestoreLargerThanItsFileSystemStopsAtTheReserveNotAtAFullDisk() throws {
        let temp = TemporaryDirectory()
        let small = temp.file("small")
        #expect(Self.mountTmpfs(small, megabytes: 40))
        defer { _ = try? Tool.run(["umount", "-l", small]) }
        // 64 MiB of zeros, a small .tar.gz, into 40 MiB.
        try Tool.must(["sh", "-c", "mkdir -p '\(temp.file("t"))' && head -c 67108864 /dev/zero > '\(temp.file("t"))/zeros' && tar -czf '\(temp.file("z.tar.gz"))' -C '\(temp.file("t"))' zeros"])
        let digest = try Tool.must(["sha256sum", temp.file("t") + "/zeros"]).stdout.prefix(64)
        try "\(digest)  zeros\n".write(toFile: temp.file("z.sha256"), atomically: true, encoding: .utf8)
        let run = try CheckRun.run([temp.file("z.tar.gz"), "-m", temp.file("z.sha256"), "--restore-to", small + "/scratch", "--restore-reserve", "\(4 << 20)"])
        #expect(run.status == 2, "\(run.stdout)")
        let error = run.json?["error"]?.stringValue ?? ""
        #expect(error.contains("the restore stopped before the file system was full"), "not a write failing on a full disk: \(run.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: small + "/scratch").isEmpty)
    }
}
