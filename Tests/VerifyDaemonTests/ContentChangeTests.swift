import Foundation
import Testing
import VerifyTestSupport

/// The same copy of an archive must read the same on every run. A plain tar whose bytes rot
/// (size and mtime unchanged) and whose manifest is then made again from the damaged archive
/// passes against that manifest; history still knows what the entry read before.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ContentChangeTests {
    /// A tar of the tree made reproducibly (the same layout for the same names and sizes),
    /// written over `path` in place, with the given mtime, and its manifest beside it.
    static func write(_ tree: FixtureTree, to path: String, mtime: Int, work: TemporaryDirectory) throws {
        let staging = work.file("staging.tar")
        try Tool.must(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", staging, "-C", tree.root, "."])
        _ = FileManager.default.createFile(atPath: path + ".sha256", contents: Data(tree.sha256Manifest()))
        // In place, as rot happens: the same inode, the same size.
        try Tool.must(["dd", "if=\(staging)", "of=\(path)", "conv=notrunc", "status=none"])
        try Tool.must(["touch", "-d", "@\(mtime)", path])
    }

    @Test func anEntryThatReadsOtherwiseThanBeforeFailsEvenWhenItsManifestAgrees() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups)]
        try daemon.start()
        var good = FixtureTree(root: daemon.directory.file("good"))
        var rotten = FixtureTree(root: daemon.directory.file("rotten"))
        for index in 0..<6 {
            let content = (0..<5_000).map { UInt8(truncatingIfNeeded: $0 * (index + 3)) }
            try good.add("files/\(index).bin", content)
            var damaged = content
            if index == 4 { damaged[1_234] ^= 0x10 }
            try rotten.add("files/\(index).bin", damaged)
        }
        let archive = backups + "/data.tar"
        try Self.write(good, to: archive, mtime: 1_764_300_000, work: daemon.directory)
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        #expect(daemon.runs().first?["verdict"] as? String == "pass")

        // The bytes rot; someone makes the manifest again from the damaged archive.
        try Self.write(rotten, to: archive, mtime: 1_764_300_000, work: daemon.directory)
        let run = try daemon.ctl(["verify", archive, "--wait", "--json"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let id = try #require(((run.object?["runs"] as? [[String: Any]])?.first?["id"]) as? Int)
        let failures = try daemon.ctl(["show", "\(id)", "--json"]).object?["failures"] as? [[String: Any]] ?? []
        #expect(failures.count == 1, "\(failures)")
        #expect(failures.first?["kind"] as? String == "content_changed")
        #expect(failures.first?["path"] as? String == "files/4.bin")
        #expect((failures.first?["expected"] as? String)?.contains("read by run 1") == true, "\(failures)")
        // Alerted once the archive stayed unchanged for settle after the run.
        #expect(waitUntil(seconds: 10) {
            let alerts = (try? daemon.ctl(["alerts", "list", "--json"]))?.object?["alerts"] as? [[String: Any]] ?? []
            return alerts.contains { $0["kind"] as? String == "verification_failed" }
        })

        // It stays failed while that copy is kept; a new copy of the archive starts over.
        #expect(try daemon.ctl(["verify", archive, "--wait"]).status == 1)
        try Self.write(rotten, to: archive, mtime: 1_764_400_000, work: daemon.directory)
        #expect(try daemon.ctl(["verify", archive, "--wait"]).status == 0)
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
