import Foundation
import Testing
import VerifyTestSupport

/// Issue 13 §2 with the real daemon: symlink loops do not multiply archives, a symlinked
/// archive is verified only with `follow_symlinks` and only inside its destination, a crowded
/// folder stops the scan at `max_scan_entries` with one warning.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ScanDefenceTests {
    func alerts(_ daemon: DaemonHarness, kind: String) -> [[String: Any]] {
        let all = (try? daemon.ctl(["alerts", "list", "--json", "--limit", "1000"]))?.object?["alerts"] as? [[String: Any]] ?? []
        return all.filter { $0["kind"] as? String == kind }
    }

    func archiveCount(_ daemon: DaemonHarness, _ name: String) -> Int? {
        let result = try? daemon.ctl(["status", name, "--json"])
        return (result?.object?["destinations"] as? [[String: Any]])?.first?["archives"] as? Int
    }

    @Test func linksAreNotFollowedUnlessAskedAndNeverOutOfTheDestination() throws {
        let daemon = DaemonHarness()
        let loops = try daemon.folder("loops")
        let follow = try daemon.folder("follow")
        let outside = try daemon.folder("outside")
        daemon.destinations = [
            DaemonFixtures.destination("loops", path: loops),
            DaemonFixtures.destination("follow", path: follow, extra: ["follow_symlinks = true"]),
        ]
        try daemon.start()
        let links = FileManager.default
        // Ten `ln -s . lN`: before, three of them made one archive 3,280 and ten hung the scan.
        let one = try DaemonFixtures.archive("one.tar.gz", in: loops, work: daemon.directory)
        for n in 1...10 { try links.createSymbolicLink(atPath: loops + "/l\(n)", withDestinationPath: ".") }
        try links.createSymbolicLink(atPath: loops + "/two.tar.gz", withDestinationPath: one)
        try links.createSymbolicLink(atPath: loops + "/two.tar.gz.sha256", withDestinationPath: one + ".sha256")
        // With follow_symlinks: `latest.tar.gz` names a file kept under another name; a link to
        // an archive outside the destination is never verified.
        let data = try daemon.folder("follow/data")
        let blob = try DaemonFixtures.archive("blob", in: data, work: daemon.directory, seed: 2)
        try links.createSymbolicLink(atPath: follow + "/latest.tar.gz", withDestinationPath: "data/blob")
        let secret = try DaemonFixtures.archive("secret.tar.gz", in: outside, work: daemon.directory, seed: 3)
        try links.createSymbolicLink(atPath: follow + "/escape.tar.gz", withDestinationPath: secret)
        try links.createSymbolicLink(atPath: follow + "/escape.tar.gz.sha256", withDestinationPath: secret + ".sha256")

        #expect(waitUntil(seconds: 30) { daemon.state("loops") == "ok" && daemon.state("follow") == "ok" }, "\(daemon.log_)")
        #expect(archiveCount(daemon, "loops") == 1)
        #expect(archiveCount(daemon, "follow") == 1)
        let verified = daemon.runs().compactMap { $0["archive"] as? String }
        #expect(verified.sorted() == [blob, one].sorted(), "\(verified)")
        #expect(daemon.log_.contains("two.tar.gz: a symlink (follow_symlinks is off)"))
        #expect(daemon.log_.contains("escape.tar.gz: a symlink whose target is outside the destination"))
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aCrowdedFolderStopsTheScanWithOneWarning() throws {
        let daemon = DaemonHarness()
        let crowded = try daemon.folder("crowded")
        daemon.destinations = [DaemonFixtures.destination("crowded", path: crowded, extra: ["max_scan_entries = 100"])]
        for n in 0..<150 { _ = FileManager.default.createFile(atPath: crowded + "/junk-\(n)", contents: nil) }
        try daemon.start()
        #expect(waitUntil(seconds: 20) { alerts(daemon, kind: "scan_limit").count == 1 }, "\(daemon.log_)")
        let alert = alerts(daemon, kind: "scan_limit").first ?? [:]
        #expect(alert["severity"] as? String == "warning")
        #expect((alert["summary"] as? String ?? "").contains("the scan stopped after max_scan_entries (100) entries"))
        // More scans (each `verify` scans first) say nothing new; the daemon keeps answering.
        for _ in 0..<2 { _ = try daemon.ctl(["verify", "crowded"]) }
        #expect(alerts(daemon, kind: "scan_limit").count == 1)
        // Below the limit again: scans are complete, and the archive found is verified.
        for n in 0..<150 { try FileManager.default.removeItem(atPath: crowded + "/junk-\(n)") }
        _ = try DaemonFixtures.archive("a.tar.gz", in: crowded, work: daemon.directory)
        #expect(waitUntil(seconds: 20) { daemon.state("crowded") == "ok" }, "\(daemon.log_)")
        #expect(daemon.log_.contains("scans are complete again"))
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
