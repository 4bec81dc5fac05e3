import Foundation
import Testing
import VerifyDaemon
import VerifyTestSupport

/// A new archive much smaller than the last good one: the comparison, and the alert end to end.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ArchiveShrinkTests {
    typealias Measure = ArchiveShrink.Measure

    @Test(arguments: [
        // (bytes now, entries now, bytes before, entries before, tolerance, shrank)
        (Int64(400), 10 as Int?, Int64(1000), 10 as Int?, 0.5, true),
        (500, 10, 1000, 10, 0.5, false),   // exactly half: not more than 50% smaller
        (999, 2, 1000, 10, 0.5, true),     // the same size, 80% fewer entries
        (999, nil, 1000, 10, 0.5, false),  // entries unknown on one side: bytes alone
        (2000, 40, 1000, 10, 0.1, false),  // grew
        (0, 0, 1000, 10, 0.99, true),      // empty
        (100, 10, 0, 0, 0.5, false),       // nothing before to compare with
    ])
    func shrinkByBytesOrEntries(now: Int64, entries: Int?, before: Int64, entriesBefore: Int?, tolerance: Double, shrank: Bool) {
        let current = Measure(name: "new.tar", bytes: now, entries: entries)
        let previous = Measure(name: "old.tar", bytes: before, entries: entriesBefore)
        #expect((ArchiveShrink.check(current, previous: previous, tolerance: tolerance) != nil) == shrank)
    }

    @Test func theSummarySaysHowMuchAndFromWhat() throws {
        let current = Measure(name: "db-2.tar.gz", bytes: 1_258_291, entries: 40)
        let previous = Measure(name: "db-1.tar.gz", bytes: 42_991_616, entries: 12_000)
        let shrink = try #require(ArchiveShrink.check(current, previous: previous, tolerance: 0.5))
        #expect(ArchiveShrink.summary(current, previous: previous, shrink: shrink)
            == "db-2.tar.gz is 99% smaller than db-1.tar.gz: 1.2 MiB (was 41.0 MiB), 40 entries (was 12000)")
    }

    /// A tar of `count` files of 4 KiB with its manifest, modified `hoursAgo` hours ago.
    static func archive(_ name: String, in folder: String, work: TemporaryDirectory, count: Int, hoursAgo: Int) throws -> String {
        var tree = FixtureTree(root: work.file("tree-\(name)"))
        for index in 0..<count { try tree.add("data/\(index).bin", size: 4096, seed: UInt64(index + 1), compressible: false) }
        _ = FileManager.default.createFile(atPath: folder + "/" + name + ".sha256", contents: Data(tree.sha256Manifest()))
        try Tool.must(["tar", "-cf", work.file(name), "-C", tree.root, "data"])
        try Tool.must(["touch", "-d", "\(hoursAgo) hours ago", work.file(name)])
        try FileManager.default.moveItem(atPath: work.file(name), toPath: folder + "/" + name)
        return folder + "/" + name
    }

    func alerts(_ daemon: DaemonHarness, kind: String) throws -> [[String: Any]] {
        let all = try daemon.ctl(["alerts", "list", "--json"]).object?["alerts"] as? [[String: Any]] ?? []
        return all.filter { $0["kind"] as? String == kind }
    }

    @Test func aMuchSmallerArchiveThatPassesRaisesOneAlert() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        let other = try daemon.folder("other")
        daemon.destinations = [
            DaemonFixtures.destination("full", path: backups, extra: ["shrink_alert = \"50%\"", "keep_verifying = 5"]),
            DaemonFixtures.destination("quiet", path: other, extra: ["keep_verifying = 5"]),
        ]
        try daemon.start()
        _ = try Self.archive("mon.tar", in: backups, work: daemon.directory, count: 40, hoursAgo: 3)
        _ = try Self.archive("mon.tar", in: other, work: daemon.directory, count: 40, hoursAgo: 3)
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(2) }, "\(daemon.log_)")
        // Tuesday's backup holds 5 files of 40, and they match their manifest.
        let tuesday = try Self.archive("tue.tar", in: backups, work: daemon.directory, count: 5, hoursAgo: 2)
        _ = try Self.archive("tue.tar", in: other, work: daemon.directory, count: 5, hoursAgo: 2)
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(4) }, "\(daemon.log_)")
        #expect(daemon.runs().allSatisfy { $0["verdict"] as? String == "pass" })
        #expect(waitUntil(seconds: 10) { ((try? alerts(daemon, kind: "archive_shrank")) ?? []).count == 1 })
        let alert = try #require(try alerts(daemon, kind: "archive_shrank").first)
        #expect(alert["destination"] as? String == "full")
        #expect(alert["archive"] as? String == tuesday)
        #expect(alert["severity"] as? String == "warning")
        let summary = alert["summary"] as? String ?? ""
        #expect(summary.hasPrefix("full: tue.tar is 8"), "\(summary)")
        #expect(summary.contains("smaller than mon.tar"), "\(summary)")
        #expect(summary.contains("(shrink_alert 50%)"), "\(summary)")

        // Verifying it again says nothing new; a normal-sized archive after it raises nothing.
        #expect(try daemon.ctl(["verify", tuesday, "--wait"]).status == 0)
        _ = try Self.archive("wed.tar", in: backups, work: daemon.directory, count: 38, hoursAgo: 1)
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(4, of: "full") }, "\(daemon.log_)")
        // A later archive that shrinks again raises the next alert: past that point, the runs
        // of the repeat and of wed.tar have raised all they would.
        let thursday = try Self.archive("thu.tar", in: backups, work: daemon.directory, count: 4, hoursAgo: 0)
        #expect(waitUntil(seconds: 20) { ((try? alerts(daemon, kind: "archive_shrank")) ?? []).count >= 2 }, "\(daemon.log_)")
        #expect(try alerts(daemon, kind: "archive_shrank").compactMap { $0["archive"] as? String }.sorted() == [thursday, tuesday].sorted())
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
