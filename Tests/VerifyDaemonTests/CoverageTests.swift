import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Coverage-aware sampling with the real daemon: a sample per run that reads every entry once
/// before any twice, and failed entries on every run.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct CoverageTests {
    /// A plain tar of `count` small files and a sha256sum manifest; `wrong` names entries whose
    /// manifest digest is deliberately wrong (they fail every time they are read).
    static func archive(in folder: String, work: TemporaryDirectory, count: Int, wrong: Set<String> = []) throws -> String {
        var tree = FixtureTree(root: work.file("tree"))
        for index in 0..<count { try tree.add("f/\(index).txt", size: 64 + index % 50, seed: UInt64(index)) }
        var manifest = String(decoding: tree.sha256Manifest(), as: UTF8.self)
        for name in wrong {
            var hasher = ContentHasher(algorithms: [.sha256])
            Array("not the content".utf8).withUnsafeBytes { hasher.update($0) }
            let bad = hasher.finalize()[0].hex
            manifest = manifest.split(separator: "\n").map { line in
                line.hasSuffix("  " + name) ? "\(bad)  \(name)" : String(line)
            }.joined(separator: "\n") + "\n"
        }
        try manifest.write(toFile: folder + "/data.tar.sha256", atomically: true, encoding: .utf8)
        try Tool.must(["tar", "-cf", work.file("data.tar"), "-C", tree.root, "f"])
        try FileManager.default.moveItem(atPath: work.file("data.tar"), toPath: folder + "/data.tar")
        return folder + "/data.tar"
    }

    /// entry -> run id of its latest read, from `verifyctl coverage --json`.
    func latestReads(_ daemon: DaemonHarness, _ archive: String) throws -> [String: Int] {
        let result = try daemon.ctl(["coverage", "d", archive, "--json"])
        let entries = (result.object?["entries"] as? [[String: Any]]) ?? []
        return Dictionary(entries.compactMap { e in (e["path"] as? String).flatMap { p in (e["runId"] as? Int).map { (p, $0) } } }, uniquingKeysWith: { $1 })
    }

    @Test func tenPercentPerRunReachesFullCoverageInTenRunsWithoutRereading() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: [
            "sample = \"10%\"", "interval = \"1h\"", "keep_verifying = 1", "coverage_window = \"10h\"",
        ])]
        try daemon.start()
        let archive = try Self.archive(in: backups, work: daemon.directory, count: 1000)
        // Finished, not only started: a `verify --wait` sent while it runs could race it.
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        for _ in 1..<10 { #expect(try daemon.ctl(["verify", archive, "--wait"]).status == 0) }

        let reads = try latestReads(daemon, archive)
        #expect(reads.count == 1000, "every entry read in 10 runs")
        let perRun = Dictionary(grouping: reads.values, by: { $0 }).mapValues(\.count)
        #expect(perRun.count == 10)
        #expect(perRun.values.allSatisfy { $0 == 100 }, "no entry read twice before all were read once: \(perRun)")
        let detail = try daemon.ctl(["coverage", "d", archive, "--json"]).object?["entries"] as? [[String: Any]] ?? []
        #expect(detail.allSatisfy { ($0["digest"] as? String)?.hasPrefix("sha256:") == true && ($0["size"] as? Int ?? 0) >= 64 },
                "each read keeps the digest and size it saw")
        let status = try daemon.ctl(["status", "d"])
        #expect(status.stdout.contains("coverage: 100% of 1000 entries verified within 10h"), "\(status.stdout)")
        #expect(status.status == 0)

        // The eleventh run reads the first run's entries again: the least recently verified.
        let firstRun = try #require(perRun.keys.min())
        let firstEntries = Set(reads.filter { $0.value == firstRun }.keys)
        #expect(try daemon.ctl(["verify", archive, "--wait"]).status == 0)
        let after = try latestReads(daemon, archive)
        let eleventh = try #require(after.values.max())
        #expect(Set(after.filter { $0.value == eleventh }.keys) == firstEntries)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aFailedEntryIsRecheckedOnEveryRunAndRunsAreSizedForTheWindow() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: [
            "sample = 20", "interval = \"1d\"", "keep_verifying = 1", "coverage_window = \"4d\"",
        ])]
        try daemon.start()
        let bad = "f/3.txt"
        let archive = try Self.archive(in: backups, work: daemon.directory, count: 200, wrong: [bad])
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        var seenFailing = false
        for _ in 0..<5 {
            _ = try daemon.ctl(["verify", archive, "--wait"])
            let reads = try latestReads(daemon, archive)
            let latest = reads.values.max() ?? -1
            if seenFailing { #expect(reads[bad] == latest, "the failed entry is read again on every run") }
            if reads[bad] != nil { seenFailing = true }
        }
        #expect(seenFailing)
        // 200 entries within 4 days at one run a day: runs are sized up from 20 to 50 entries.
        let latest = try #require(daemon.runs().first)
        #expect(latest["sample"] as? String == "50", "\(latest)")
        #expect(latest["entriesSelected"] as? Int == 50)
        // Failing once the last run's verdict is confirmed (settle after it).
        #expect(waitUntil(seconds: 10) { (try? daemon.ctl(["status", "d"]))?.status == 2 }, "the failing entry makes the destination failing")
        let status = try daemon.ctl(["status", "d"])
        #expect(!status.stdout.contains("warning:"), "\(status.stdout)")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aBudgetThatCannotMeetTheWindowIsAWarningAndAnAlert() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: [
            "sample = \"1KiB\"", "interval = \"1d\"", "keep_verifying = 1", "coverage_window = \"2d\"",
        ])]
        try daemon.start()
        let archive = try Self.archive(in: backups, work: daemon.directory, count: 200)
        #expect(waitUntil(seconds: 20) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        _ = try daemon.ctl(["verify", archive, "--wait"])
        let status = try daemon.ctl(["status", "d"])
        #expect(status.stdout.contains("warning: coverage_window 2d cannot be met"), "\(status.stdout)")
        #expect(status.stdout.contains("100 per run are needed"))
        #expect(status.status == 1, "WARNING")
        let alerts = try daemon.ctl(["alerts", "list", "--json"]).object?["alerts"] as? [[String: Any]] ?? []
        let risk = alerts.filter { $0["kind"] as? String == "coverage_at_risk" }
        #expect(risk.count == 1, "raised once, not on every run: \(alerts.map { $0["kind"] ?? "" })")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    func slowArchive(_ daemon: DaemonHarness, in backups: String, entries: Int) throws -> String {
        try SlowArchive.make(at: daemon.directory.file("big.tar.gz"), entries: entries, gibibytesPerEntry: 1)
        try FileManager.default.moveItem(atPath: daemon.directory.file("big.tar.gz.sha256"), toPath: backups + "/big.tar.gz.sha256")
        try FileManager.default.moveItem(atPath: daemon.directory.file("big.tar.gz"), toPath: backups + "/big.tar.gz")
        return backups + "/big.tar.gz"
    }

    @Test func aRunStopsAtItsBudgetAndTheNextContinuesWithWhatIsLeft() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: [
            "interval = \"1h\"", "keep_verifying = 1", "max_duration = \"2s\"",
        ])]
        try daemon.start()
        let archive = try slowArchive(daemon, in: backups, entries: 6)
        #expect(waitUntil(seconds: 30) { daemon.runs().first.map { $0["verdict"] as? String != "running" } ?? false }, "\(daemon.log_)")
        let first = try #require(daemon.runs().first)
        #expect(first["verdict"] as? String == "pass", "what it read was good: \(first)")
        #expect((first["note"] as? String)?.contains("max_duration") == true)
        let afterFirst = try latestReads(daemon, archive)
        #expect(!afterFirst.isEmpty && afterFirst.count < 6, "\(afterFirst)")

        var runs = 1
        while try latestReads(daemon, archive).count < 6, runs < 8 {
            _ = try daemon.ctl(["verify", archive, "--wait"])
            runs += 1
        }
        let reads = try latestReads(daemon, archive)
        #expect(reads.count == 6, "every entry read within \(runs) runs")
        for (entry, run) in afterFirst { #expect(reads[entry] == run, "\(entry) was not read again") }
        let total = daemon.runs().reduce(0) { $0 + (($1["entriesChecked"] as? Int) ?? 0) }
        #expect(total == 6, "each entry read once over the runs: \(total)")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aRunKilledMidwayResumesWithoutRepeatingItsFinishedPart() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: ["interval = \"1h\"", "keep_verifying = 1"])]
        try daemon.start()
        let archive = try slowArchive(daemon, in: backups, entries: 8)
        // Checkpoints come every half second of work: wait for the first, then kill -9.
        #expect(waitUntil(seconds: 30) { (try? latestReads(daemon, archive).count) ?? 0 >= 1 }, "\(daemon.log_)")
        daemon.signal(SIGKILL)
        let before = try {
            // The daemon is down; read the coverage once it is back.
            try daemon.start()
            return try latestReads(daemon, archive)
        }()
        #expect(!before.isEmpty && before.count < 8, "\(before)")
        #expect(waitUntil(seconds: 60) { daemon.runs().first { $0["trigger"] as? String == "retry" }?["verdict"] as? String == "pass" }, "\(daemon.log_)")
        let retry = try #require(daemon.runs().first { $0["trigger"] as? String == "retry" })
        #expect(retry["entriesSelected"] as? Int == 8 - before.count, "only what was left: \(retry)")
        let after = try latestReads(daemon, archive)
        #expect(after.count == 8)
        for (entry, run) in before { #expect(after[entry] == run, "\(entry) was not read again") }
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
