import Foundation
import Testing
import VerifyTestSupport

/// Destination settings end to end: a manifest inside the archive, a whole-file digest file,
/// a sample, patterns that reach into dated subfolders.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct DestinationOptionsTests {
    @Test func manifestInsideTheArchiveDigestFileSampleAndSubfolders() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("dated", path: backups, extra: [
            "archives = [\"*/*.tar.gz\"]", "manifest_in_archive = \"MANIFEST.sha256\"",
            "archive_digest = \"{dir}/SHA256SUMS\"", "sample = 3",
        ])]
        try daemon.start()

        var tree = try FixtureTree.standard(at: daemon.directory.file("tree"))
        let manifest = tree.sha256Manifest()
        try tree.add("MANIFEST.sha256", manifest)
        let day = try daemon.folder("backups/2026-11-27")
        try Tool.must(["tar", "-czf", daemon.directory.file("host.tar.gz"), "-C", tree.root, "."])
        try Tool.must(["sh", "-c", "cd '\(daemon.directory.path)' && sha256sum host.tar.gz > '\(day)/SHA256SUMS'"])
        try FileManager.default.moveItem(atPath: daemon.directory.file("host.tar.gz"), toPath: day + "/host.tar.gz")
        // Not matched: top level, and hidden (in-progress) files.
        try Tool.must(["cp", day + "/host.tar.gz", backups + "/top.tar.gz"])
        try Tool.must(["cp", day + "/host.tar.gz", day + "/.host.tar.gz.partial"])

        #expect(waitUntil(seconds: 20) { daemon.state("dated") == "ok" }, "\(daemon.log_)")
        let runs = daemon.runs()
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run["archive"] as? String == day + "/host.tar.gz")
        #expect(run["entriesSelected"] as? Int == 3)
        #expect(run["entriesChecked"] as? Int == 3)
        #expect(run["sample"] as? String == "3")
        #expect((run["archiveDigest"] as? String)?.hasPrefix("sha256:") == true)

        // The digest file disagrees: the whole archive fails.
        try "\(String(repeating: "ab", count: 32))  host.tar.gz\n".write(toFile: day + "/SHA256SUMS", atomically: true, encoding: .utf8)
        let rerun = try daemon.ctl(["verify", day + "/host.tar.gz", "--wait", "--json"])
        #expect(rerun.status == 1, "\(rerun.stdout)\(rerun.stderr)")
        let id = try #require(((rerun.object?["runs"] as? [[String: Any]])?.first?["id"]) as? Int)
        let show = try daemon.ctl(["show", "\(id)", "--json"])
        let failure = try #require((show.object?["failures"] as? [[String: Any]])?.first)
        #expect(failure["kind"] as? String == "corrupt_archive")
        #expect((failure["expected"] as? String)?.contains("SHA256SUMS") == true)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aMissingManifestIsAnErrorThatNamesIt() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: ["manifest = \"{dir}/{stem}.mtree\""])]
        try daemon.start()
        let archive = try DaemonFixtures.archive("etc.tar.gz", in: backups, work: daemon.directory)
        // The manifest named by the template never comes: the run waits for it (pending); asked
        // for explicitly, the run is an error naming the file. A control archive that arrives
        // later with its manifest settles no earlier: once its run is over, the daemon has been
        // past the point where etc.tar.gz would have been due.
        let staging = try daemon.folder("staging")
        let control = try DaemonFixtures.archive("control.tar.gz", in: staging, work: daemon.directory, seed: 2)
        try FileManager.default.copyItem(atPath: control + ".sha256", toPath: backups + "/control.mtree")
        try FileManager.default.moveItem(atPath: control, toPath: backups + "/control.tar.gz")
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        #expect(daemon.runs().compactMap { $0["archive"] as? String } == [backups + "/control.tar.gz"])
        #expect(daemon.state("d") == "pending")
        let run = try daemon.ctl(["verify", archive, "--wait", "--json"])
        #expect(run.status == 2)
        let error = ((run.object?["runs"] as? [[String: Any]])?.first?["error"] as? String) ?? ""
        #expect(error.contains(backups + "/etc.mtree: manifest not found"), "\(error)")
        #expect(waitUntil(seconds: 10) { daemon.state("d") == "failing" }, "failing once the error is confirmed, settle later")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func restoreModeExtractsChecksFromDiskAndLeavesNoScratchBehind() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("r", path: backups, extra: ["mode = \"restore\"", "keep_verifying = 5"])]
        // A previous daemon died during a restore: its scratch is cleaned at start-up.
        let stale = daemon.stateDirectory + "/scratch/run-999/etc"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: stale + "/leftover", contents: Data("x".utf8))
        try daemon.start()
        #expect(!FileManager.default.fileExists(atPath: stale + "/leftover"))

        try DaemonFixtures.archive("good.tar.gz", in: backups, work: daemon.directory)
        _ = try DaemonFixtures.corruptedArchive("bad.tar", in: backups, work: daemon.directory)
        #expect(waitUntil(seconds: 30) { daemon.runs().filter { $0["verdict"] as? String != "running" }.count == 2 }, "\(daemon.log_)")
        let runs = daemon.runs()
        #expect(runs.first { ($0["archive"] as? String)?.hasSuffix("good.tar.gz") == true }?["verdict"] as? String == "pass")
        let failed = try #require(runs.first { ($0["archive"] as? String)?.hasSuffix("bad.tar") == true })
        #expect(failed["verdict"] as? String == "fail")
        let show = try daemon.ctl(["show", "\(failed["id"] as? Int ?? 0)", "--json"])
        let failures = (show.object?["failures"] as? [[String: Any]]) ?? []
        #expect(failures.contains { $0["path"] as? String == "var/log/big.log" && $0["kind"] as? String == "content_mismatch" })
        let note = (show.object?["run"] as? [String: Any])?["note"] as? String
        #expect(note?.contains("entries") == true && note?.contains("and checked them from disk") == true, "\(String(describing: note))")
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory + "/scratch")) ?? []
        #expect(scratch.isEmpty, "no restore folder left: \(scratch)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
