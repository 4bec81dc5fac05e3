import Foundation
import Testing
import VerifyTestSupport

/// The real `verifyd` binary, configured in a temporary folder, observed through the real
/// `verifyctl` over its real socket.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct DaemonLifecycleTests {
    @Test func goodArchivePassesAndCorruptedOneFailsWithItsFailuresInHistory() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("nightly", path: backups, extra: ["max_age = \"1h\""])]
        try daemon.start()
        #expect(daemon.state("nightly") == "stale", "an empty destination with max_age is stale")

        try DaemonFixtures.archive("good.tar.gz", in: backups, work: daemon.directory)
        #expect(waitUntil(seconds: 20) { daemon.state("nightly") == "ok" }, "\(daemon.log_)")
        let passed = try #require(daemon.runs("nightly").first)
        #expect(passed["verdict"] as? String == "pass")
        #expect(passed["trigger"] as? String == "arrival")
        #expect(passed["entriesChecked"] as? Int == 26)
        #expect(try daemon.ctl(["status"]).status == 0)

        _ = try DaemonFixtures.corruptedArchive("bad.tar", in: backups, work: daemon.directory)
        #expect(waitUntil(seconds: 20) { daemon.state("nightly") == "failing" }, "\(daemon.log_)")
        let status = try daemon.ctl(["status"])
        #expect(status.status == 2, "CRITICAL")
        #expect(status.stdout.hasPrefix("VERIFYD CRITICAL: 1 failing"))
        #expect(status.stdout.contains("failing: \(backups)/bad.tar"))

        let failed = try #require(daemon.runs("nightly").first { $0["verdict"] as? String == "fail" })
        let id = try #require(failed["id"] as? Int)
        let show = try daemon.ctl(["show", "\(id)", "--json"])
        #expect(show.status == 0)
        let failures = try #require(show.object?["failures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect(failures.first?["path"] as? String == "var/log/big.log")
        #expect(failures.first?["kind"] as? String == "content_mismatch")
        #expect((failures.first?["expected"] as? String)?.contains("sha256") == true)
        let text = try daemon.ctl(["show", "\(id)"])
        #expect(text.stdout.contains("content_mismatch: var/log/big.log"))

        // verify --wait reruns both newest archives and reports the worst verdict.
        let rerun = try daemon.ctl(["verify", "nightly", "--wait"])
        #expect(rerun.status == 1, "\(rerun.stdout) \(rerun.stderr)")
        #expect(rerun.stdout.contains("pass \(backups)/good.tar.gz"))
        #expect(rerun.stdout.contains("fail \(backups)/bad.tar"))
        #expect(daemon.runs("nightly").filter { $0["trigger"] as? String == "request" }.count == 2)
        let one = try daemon.ctl(["verify", backups + "/good.tar.gz", "--wait", "--json"])
        #expect(one.status == 0)
        #expect(((one.object?["runs"] as? [[String: Any]])?.first?["verdict"] as? String) == "pass")
        #expect(try daemon.ctl(["verify", "/etc/passwd"]).status == 4, "outside every destination")
        #expect(try daemon.ctl(["verify", "nosuch"]).status == 4)
        #expect(try daemon.ctl(["show", "999999"]).status == 4)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func anArchiveArrivingInPiecesIsNotVerifiedBeforeItSettles() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("slow-writer", path: backups, settle: "3s", poll: "300ms")]
        try daemon.start()
        // The manifest is there first; the archive is written in place, in pieces, a second apart.
        let staging = try DaemonFixtures.archive("staged.tar.gz", in: try daemon.folder("staging"), work: daemon.directory)
        try FileManager.default.copyItem(atPath: staging + ".sha256", toPath: backups + "/growing.tar.gz.sha256")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: staging))
        let target = backups + "/growing.tar.gz"
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
        let pieces = 4
        // The pause is the writer's pace, not a proof: the proof is below (one run, of the
        // whole file).
        for piece in 0..<pieces {
            let range = (bytes.count * piece / pieces)..<(bytes.count * (piece + 1) / pieces)
            handle.write(bytes.subdata(in: range))
            usleep(1_000_000)
        }
        try handle.close()
        // A control archive, whole at once, settles after the growing one: once its run is over,
        // the daemon has scanned past the growing one's run and would have run it again by then.
        let control = try DaemonFixtures.archive("control.tar.gz", in: try daemon.folder("staging2"), work: daemon.directory, seed: 3)
        try FileManager.default.moveItem(atPath: control + ".sha256", toPath: backups + "/control.tar.gz.sha256")
        try FileManager.default.moveItem(atPath: control, toPath: backups + "/control.tar.gz")
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(2) }, "\(daemon.log_)")
        let runs = daemon.runs().filter { $0["archive"] as? String == target }
        #expect(runs.count == 1, "verified while still being written, or again: \(runs)")
        #expect(runs.first?["verdict"] as? String == "pass")
        #expect(runs.first?["archiveSize"] as? Int == bytes.count)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func staleAndUnavailableDestinations() throws {
        let daemon = DaemonHarness()
        let old = try daemon.folder("old")
        let removable = try daemon.folder("removable")
        daemon.destinations = [
            DaemonFixtures.destination("old", path: old, extra: ["max_age = \"1h\""]),
            DaemonFixtures.destination("removable", path: removable),
        ]
        let archive = try DaemonFixtures.archive("weekly.tar.gz", in: old, work: daemon.directory)
        try Tool.must(["touch", "-d", "3 hours ago", archive])
        try DaemonFixtures.archive("r.tar.gz", in: removable, work: daemon.directory, seed: 3)
        try daemon.start()
        #expect(waitUntil(seconds: 20) { daemon.state("old") == "stale" && daemon.state("removable") == "ok" }, "\(daemon.log_)")
        let stale = try daemon.ctl(["status", "old"])
        #expect(stale.status == 1, "WARNING")
        #expect(stale.stdout.contains("max_age 1h"))

        try FileManager.default.removeItem(atPath: removable)
        #expect(waitUntil(seconds: 10) { daemon.state("removable") == "unavailable" })
        let status = try daemon.ctl(["status"])
        #expect(status.status == 2)
        #expect(status.stdout.contains("removable: \(removable): No such file or directory"))
        #expect(try daemon.ctl(["status", "nosuch"]).status == 3, "an unknown destination is UNKNOWN")
        #expect(daemon.signal(SIGTERM) == 0)
        // Unreachable daemon: UNKNOWN.
        let unreachable = try daemon.ctl(["status"])
        #expect(unreachable.status == 3)
        #expect(unreachable.stderr.contains("cannot connect"))
    }

    @Test func killDashNineDuringARunLeavesItInterruptedAfterRestart() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.settings = ["stall_timeout = \"2m\""]
        daemon.destinations = [DaemonFixtures.destination("big", path: backups)]
        try SlowArchive.make(at: daemon.directory.file("slow.tar.gz"))
        try FileManager.default.moveItem(atPath: daemon.directory.file("slow.tar.gz.sha256"), toPath: backups + "/slow.tar.gz.sha256")
        try FileManager.default.moveItem(atPath: daemon.directory.file("slow.tar.gz"), toPath: backups + "/slow.tar.gz")
        try daemon.start()
        #expect(waitUntil(seconds: 20) { daemon.runs().first?["verdict"] as? String == "running" }, "\(daemon.log_)")
        let daemonPID = try #require(daemon.pid)
        let worker = try #require(workerPID(of: daemonPID))
        #expect(daemon.signal(SIGKILL) != nil)
        // The worker dies with its parent (PR_SET_PDEATHSIG), so nothing keeps reading.
        #expect(waitUntil(seconds: 10) { kill(worker, 0) != 0 }, "worker \(worker) outlived the daemon")

        try daemon.start()
        let runs = daemon.runs()
        let first = try #require(runs.last)
        #expect(first["verdict"] as? String == "interrupted")
        #expect((first["error"] as? String)?.contains("verifyd stopped while this run was in progress") == true)
        // The interrupted archive is tried again, as a retry.
        #expect(waitUntil(seconds: 20) { daemon.runs().first?["trigger"] as? String == "retry" })
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func sigtermStopsWithinTenSecondsAndRecordsTheRunInterrupted() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("big", path: backups)]
        try SlowArchive.make(at: daemon.directory.file("slow.tar.gz"), entries: 4)
        try FileManager.default.moveItem(atPath: daemon.directory.file("slow.tar.gz.sha256"), toPath: backups + "/slow.tar.gz.sha256")
        try FileManager.default.moveItem(atPath: daemon.directory.file("slow.tar.gz"), toPath: backups + "/slow.tar.gz")
        try daemon.start()
        #expect(waitUntil(seconds: 20) { daemon.runs().first?["verdict"] as? String == "running" }, "\(daemon.log_)")
        let progress = try daemon.ctl(["status", "--json"])
        #expect(progress.stdout.contains("\"running\":[{"), "status shows the run in progress")
        let started = Date()
        let status = daemon.signal(SIGTERM, seconds: 10)
        #expect(status == 0, "exit \(String(describing: status)) \(daemon.log_)")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(daemon.log_.contains("run interrupted"))

        daemon.environment = [:]
        try daemon.start()
        let run = try #require(daemon.runs().last)
        #expect(run["verdict"] as? String == "interrupted")
        #expect((run["error"] as? String)?.contains("stopped during the run") == true)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aWorkerThatRunsOutOfMemoryOrCrashesEndsItsRunNotTheDaemon() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.settings = ["worker_memory_limit = \"256MiB\""]
        daemon.destinations = [DaemonFixtures.destination("hostile", path: backups, extra: ["manifest = \"none\"", "keep_verifying = 5"])]
        try daemon.start()
        // xz with a 1 GiB dictionary: the decoder allocates it up front.
        let tree = try FixtureTree.standard(at: daemon.directory.file("tree"))
        try Tool.must(["sh", "-c", "tar -C '\(tree.root)' -cf - . | xz --lzma2=dict=1GiB > '\(daemon.directory.file("big-dict.tar.xz"))'"])
        try FileManager.default.moveItem(atPath: daemon.directory.file("big-dict.tar.xz"), toPath: backups + "/big-dict.tar.xz")
        #expect(waitUntil(seconds: 20) { daemon.runs().first?["verdict"] as? String == "error" }, "\(daemon.log_)")
        let run = try #require(daemon.runs().first)
        #expect((run["error"] as? String)?.contains("out of memory") == true, "\(run)")
        #expect(waitUntil(seconds: 10) { daemon.state("hostile") == "failing" }, "failing once the error is confirmed, settle later")

        // A parser crash, as the kernel delivers it: SIGSEGV in the worker.
        try SlowArchive.make(at: daemon.directory.file("slow.tar.gz"), entries: 2)
        try FileManager.default.moveItem(atPath: daemon.directory.file("slow.tar.gz"), toPath: backups + "/slow.tar.gz")
        #expect(waitUntil(seconds: 20) { daemon.runs().first?["verdict"] as? String == "running" })
        let daemonPID = try #require(daemon.pid)
        let worker = try #require(workerPID(of: daemonPID))
        kill(worker, SIGSEGV)
        #expect(waitUntil(seconds: 20) { daemon.runs().first?["verdict"] as? String == "error" })
        let crashed = try #require(daemon.runs().first)
        #expect((crashed["error"] as? String)?.contains("the worker died of signal 11") == true, "\(crashed)")
        #expect(daemon.process?.isRunning == true)
        #expect(try daemon.ctl(["status"]).status == 2)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func atMostConcurrencyRunsAtOnceAndTheRestWaitInTheQueue() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.settings = ["concurrency = 1"]
        daemon.destinations = [DaemonFixtures.destination("two", path: backups)]
        for name in ["a.tar.gz", "b.tar.gz"] {
            try SlowArchive.make(at: daemon.directory.file(name), entries: 2)
            try FileManager.default.moveItem(atPath: daemon.directory.file(name + ".sha256"), toPath: backups + "/" + name + ".sha256")
            try FileManager.default.moveItem(atPath: daemon.directory.file(name), toPath: backups + "/" + name)
        }
        try daemon.start()
        func counts() -> (running: Int, queued: Int)? {
            guard let info = (try? daemon.ctl(["status", "--json"]))?.object?["daemon"] as? [String: Any],
                let running = info["running"] as? Int, let queued = info["queued"] as? Int
            else { return nil }
            return (running, queued)
        }
        // Both archives are due (neither run can end): one running and one left in the queue at
        // the same moment is the limit at work; the daemon has one worker child, not two.
        #expect(waitUntil(seconds: 20) { counts().map { $0.running == 1 && $0.queued == 1 } ?? false }, "\(String(describing: counts()))")
        #expect(workerPIDs(of: try #require(daemon.pid)).count == 1)
        let text = try daemon.ctl(["status"])
        #expect(text.stdout.contains("verifying \(backups)/"), "progress is shown: \(text.stdout)")
        // Workers yield to the backups: niceness 10 and the lowest best-effort I/O level.
        let daemonPID = try #require(daemon.pid)
        let worker = try #require(workerPID(of: daemonPID))
        let stat = try String(contentsOfFile: "/proc/\(worker)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        #expect(fields[16] == "10", "nice: \(fields[16])")
        if Tool.exists("ionice") {
            #expect(try Tool.run(["ionice", "-p", "\(worker)"]).stdout.contains("best-effort: prio 7"))
        }
        #expect(daemon.signal(SIGTERM) == 0)
    }

    /// The pid of the `verifyd worker` child of a daemon.
    func workerPID(of daemon: Int32) -> Int32? { workerPIDs(of: daemon).first }

    /// The children of a daemon (its workers).
    func workerPIDs(of daemon: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == daemon ? pid : nil
        }
    }
}
