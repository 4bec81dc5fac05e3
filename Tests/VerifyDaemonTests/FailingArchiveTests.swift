import Foundation
import Testing
import VerifyTestSupport

/// Issue 13 §3 with the real daemon: decoys dated 2099 must neither push a failing archive out
/// of sight nor turn the destination `ok`; removing the failing archive is `archive_removed`,
/// not a recovery.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct FailingArchiveTests {
    func alerts(_ daemon: DaemonHarness, kind: String) -> [[String: Any]] {
        let all = (try? daemon.ctl(["alerts", "list", "--json", "--limit", "1000"]))?.object?["alerts"] as? [[String: Any]] ?? []
        return all.filter { $0["kind"] as? String == kind }
    }

    func status(_ daemon: DaemonHarness, _ name: String) -> [String: Any] {
        let result = try? daemon.ctl(["status", name, "--json"])
        return (result?.object?["destinations"] as? [[String: Any]])?.first ?? [:]
    }

    /// A passing archive with its manifest, dated `date` before it lands in `folder`.
    func decoy(_ name: String, in folder: String, daemon: DaemonHarness, seed: UInt64, date: String) throws -> String {
        let staging = try daemon.folder("made-" + name)
        let made = try DaemonFixtures.archive(name, in: staging, work: daemon.directory, seed: seed)
        try Tool.must(["touch", "-d", date, made])
        try FileManager.default.moveItem(atPath: made + ".sha256", toPath: folder + "/" + name + ".sha256")
        try FileManager.default.moveItem(atPath: made, toPath: folder + "/" + name)
        return folder + "/" + name
    }

    @Test func futureDatedDecoysDoNotHideAFailingArchiveAndItsRemovalIsNoRecovery() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: ["keep_verifying = 3"])]
        try daemon.start()
        let real = try DaemonFixtures.corruptedArchive("real.tar", in: backups, work: daemon.directory)
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(1) && daemon.state("d") == "failing" }, "\(daemon.log_)")

        let decoys = try (1...3).map { try decoy("decoy\($0).tar.gz", in: backups, daemon: daemon, seed: UInt64($0), date: "2099-01-01") }
        #expect(waitUntil(seconds: 40) { daemon.hasFinishedRuns(4) }, "\(daemon.log_)")
        let future = alerts(daemon, kind: "future_mtime")
        #expect(Set(future.compactMap { $0["archive"] as? String }) == Set(decoys), "\(future)")
        #expect(future.count == 3, "once per file")
        #expect(future.allSatisfy { $0["severity"] as? String == "warning" })
        let summary = future.first?["summary"] as? String ?? ""
        #expect(summary.contains("is dated 2099-01-01T") && summary.contains("in the future"), "\(summary)")
        // Every decoy passed (the run ends in history before the state is re-evaluated, in the
        // same step): the destination is still failing, and no `recovered` went out.
        #expect(daemon.runs().filter { $0["verdict"] as? String == "pass" }.count == 3)
        #expect(daemon.state("d") == "failing")
        #expect(status(daemon, "d")["failingArchives"] as? [String] == [real])
        #expect(alerts(daemon, kind: "recovered").isEmpty)

        // A restart neither forgets the failure nor repeats the anomalies; `verify d` (a scan,
        // then a run of each archive verified) proves the new daemon has scanned.
        #expect(daemon.signal(SIGTERM) == 0)
        try daemon.start()
        let again = try daemon.ctl(["verify", "d", "--wait", "--json"])
        let verified = (again.object?["runs"] as? [[String: Any]] ?? []).compactMap { $0["archive"] as? String }
        #expect(verified.contains(real), "the failing archive is re-verified though three newer files push it out: \(verified)")
        #expect(again.status == 1, "\(again.stdout)")
        #expect(alerts(daemon, kind: "future_mtime").count == 3)
        #expect(daemon.state("d") == "failing")

        // The failing archive disappears: a warning that says so, and no `recovered`.
        try FileManager.default.removeItem(atPath: real)
        try FileManager.default.removeItem(atPath: real + ".sha256")
        #expect(daemon.waitForLog("destination no longer failing: its failing archive was removed"), "\(daemon.log_)")
        let removed = alerts(daemon, kind: "archive_removed")
        #expect(removed.count == 1)
        #expect(removed.first?["archive"] as? String == real)
        #expect(removed.first?["severity"] as? String == "warning")
        let removedSummary = removed.first?["summary"] as? String ?? ""
        #expect(removedSummary.contains("real.tar, which failed verification and never passed since, is no longer found"), "\(removedSummary)")
        #expect(alerts(daemon, kind: "recovered").isEmpty)
        #expect(daemon.state("d") == "ok")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aFailingArchiveReplacedByASymlinkIsRemovedNotHidden() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups)]
        try daemon.start()
        let real = try DaemonFixtures.corruptedArchive("real.tar", in: backups, work: daemon.directory)
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(1) && daemon.state("d") == "failing" }, "\(daemon.log_)")
        // Swapped for a link to a good archive elsewhere: follow_symlinks is off, so the link is
        // not verified, and the failing file is gone.
        let good = try DaemonFixtures.archive("good.tar", in: try daemon.folder("elsewhere"), work: daemon.directory, compress: false)
        try FileManager.default.removeItem(atPath: real)
        try FileManager.default.createSymbolicLink(atPath: real, withDestinationPath: good)
        #expect(waitUntil(seconds: 20) { alerts(daemon, kind: "archive_removed").count == 1 }, "\(daemon.log_)")
        #expect(daemon.state("d") == "pending", "no archive left")
        #expect(daemon.runs().count == 1, "the link was never verified")
        #expect(daemon.log_.contains("a symlink (follow_symlinks is off)"))
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
