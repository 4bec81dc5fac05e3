import Foundation
import Testing
import VerifyTestSupport

/// `verifyctl verify --wait` on a terminal shows the daemon's progress of the run it waits on,
/// and erases it before the verdicts.
@Suite struct VerifyWaitProgressTests {
    @Test func aTerminalGetsTheRunsProgressThenItsVerdict() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.settings = ["inflater = \"zlib\"", "worker_threads = 1"]
        daemon.destinations = [DaemonFixtures.destination("zeros", path: backups, extra: ["manifest = \"none\""])]
        try daemon.start()
        let work = daemon.directory.file("zeros.tar.gz")
        try ZerosArchive.write(work, gibibytes: 3)
        let archive = backups + "/zeros.tar.gz"
        try FileManager.default.moveItem(atPath: work, toPath: archive)
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")

        let (screen, status) = try PseudoTerminal.run([Tool.verifyctl, "verify", archive, "--wait", "--socket", daemon.socketPath])
        #expect(status == 0, "\(screen.debugDescription)")
        let (lines, after) = PseudoTerminal.inPlaceLines(screen)
        #expect(lines.contains { $0.hasPrefix("run ") && $0.contains(" zeros.tar.gz: ") && $0.contains(" entr") && $0.contains(" left") },
                "\(screen.debugDescription)")
        #expect(after.contains(": pass \(archive)"), "\(screen.debugDescription)")
        #expect(!after.contains("\u{1B}"))
    }

    @Test func aPipeGetsNone() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("small", path: backups, extra: ["manifest = \"none\""])]
        try daemon.start()
        try Tool.must(["sh", "-c", "printf hello > a.txt && tar -czf backups/small.tar.gz a.txt"], in: daemon.directory.path)
        let archive = backups + "/small.tar.gz"
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        let result = try daemon.ctl(["verify", archive, "--wait"])
        #expect(result.status == 0 && result.stdout.contains(": pass \(archive)"), "\(result)")
        #expect(result.stderr.isEmpty && !result.stdout.contains("\u{1B}"), "\(result)")
    }
}
