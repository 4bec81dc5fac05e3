import Foundation
import Testing
import VerifyTestSupport

/// Modification times at the ends of 64-bit seconds, which tmpfs keeps (ext4 clamps them to
/// 1901-2446): the daemon and verifyctl must neither trap nor take them at their word.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ExtremeMtimeTests {
    /// Sets an mtime in seconds (a float, as Python takes it) and returns what the file got.
    func date(_ path: String, _ seconds: String) throws -> Double {
        let set = try Tool.must(["python3", "-c", "import os, sys; os.utime(sys.argv[1], (0, \(seconds))); print(os.stat(sys.argv[1]).st_mtime)", path])
        return Double(set.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm"), "needs tmpfs at /dev/shm"))
    func archivesDatedAtTheEndsOfTimeAreVerifiedAndReported() throws {
        // On tmpfs, where such dates exist; the folder is removed at the end.
        let shm = "/dev/shm/verifyd-h2-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: shm, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: shm) }
        let daemon = DaemonHarness()
        let ancient = shm + "/ancient", far = shm + "/far"
        for folder in [ancient, far] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let staging = try daemon.folder("staging")
        let old = try DaemonFixtures.archive("old.tar.gz", in: staging, work: daemon.directory, seed: 1)
        let new = try DaemonFixtures.archive("new.tar.gz", in: staging, work: daemon.directory, seed: 2)
        for (file, folder) in [(old, ancient), (new, far)] {
            let name = (file as NSString).lastPathComponent
            try Tool.must(["cp", file + ".sha256", folder + "/" + name + ".sha256"])
            try Tool.must(["cp", file, folder + "/" + name])
        }
        let oldest = try date(ancient + "/old.tar.gz", "-2**63")
        let latest = try date(far + "/new.tar.gz", "2**63 - 2**11")
        try #require(oldest < -9e18 && latest > 9e18, "this file system clamps mtimes (\(oldest), \(latest))")
        daemon.destinations = [
            DaemonFixtures.destination("ancient", path: ancient, extra: ["max_age = \"1d\""]),
            DaemonFixtures.destination("far", path: far, extra: ["max_age = \"1d\""]),
        ]
        try daemon.start()
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(2) }, "\(daemon.log_)")
        #expect(daemon.runs().allSatisfy { $0["verdict"] as? String == "pass" }, "\(daemon.runs())")
        // The year 292 billion BC is stale; the year 292 billion AD counts as made when seen.
        #expect(waitUntil(seconds: 10) { daemon.state("ancient") == "stale" && daemon.state("far") == "ok" })
        let future = (try daemon.ctl(["alerts", "list", "--json"]).object?["alerts"] as? [[String: Any]] ?? [])
            .filter { $0["kind"] as? String == "future_mtime" }
        #expect(future.compactMap { $0["archive"] as? String } == [far + "/new.tar.gz"])
        // Every view of them answers.
        for command in [["status"], ["status", "--json"], ["alerts", "list"], ["history"], ["metrics"], ["coverage", "far"]] {
            let result = try daemon.ctl(command)
            #expect(result.status <= 2 && result.stderr.isEmpty, "\(command): \(result.status) \(result.stderr)")
        }
        for run in daemon.runs() {
            let show = try daemon.ctl(["show", "\(run["id"] as? Int ?? 0)"])
            #expect(show.status <= 1 && show.stdout.contains("modified"), "\(show.stdout)\(show.stderr)")
        }
        #expect(daemon.process?.isRunning == true)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aThousandDecoysRaiseElevenAlertsNotAThousand() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        for n in 0..<1000 { _ = FileManager.default.createFile(atPath: backups + "/decoy-\(n).tar", contents: Data("x".utf8)) }
        try Tool.must(["sh", "-c", "touch -d 2099-01-01 '\(backups)'/decoy-*.tar"])
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: ["keep_verifying = 1"])]
        try daemon.start()
        func future() -> [[String: Any]] {
            ((try? daemon.ctl(["alerts", "list", "--json", "--limit", "5000"]))?.object?["alerts"] as? [[String: Any]] ?? [])
                .filter { $0["kind"] as? String == "future_mtime" }
        }
        #expect(waitUntil(seconds: 20) { future().count >= 11 }, "\(daemon.log_.suffix(2000))")
        // A scan after them (`verify` scans first) raises nothing new.
        _ = try daemon.ctl(["verify", "d"])
        let alerts = future()
        #expect(alerts.count == 11)
        #expect(alerts.filter { $0["archive"] is String }.count == 10)
        let last = alerts.last?["summary"] as? String ?? ""
        #expect(last.contains("d: 990 more archive(s) dated more than future_mtime_tolerance (1h) in the future"), "\(last)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
