import Foundation
import Testing
import VerifyTestSupport

/// `verifyctl status --watch`: redrawn until interrupted; on a terminal each redraw clears the
/// screen first, elsewhere the reports follow one another.
@Suite struct StatusWatchTests {
    @Test func redrawsUntilInterrupted() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("nightly", path: backups, extra: ["manifest = \"none\""])]
        try daemon.start()
        let watch = ["timeout", "-k", "10", "-s", "INT", "3", Tool.verifyctl, "status", "--watch", "-n", "0.2", "--socket", daemon.socketPath]

        let (screen, status) = try PseudoTerminal.run(["/usr/bin/env"] + watch)
        #expect(status == 124, "timeout ends it with SIGINT: \(screen.debugDescription)")
        let draws = screen.components(separatedBy: "\u{1B}[H\u{1B}[2J").dropFirst()
        #expect(draws.count >= 2, "\(screen.debugDescription)")
        #expect(draws.allSatisfy { $0.hasPrefix("Every 0.2s: verifyctl status") && $0.contains("VERIFYD ") && $0.contains("nightly") },
                "\(screen.debugDescription)")

        let piped = try Tool.run(watch)
        #expect(!piped.stdout.contains("\u{1B}"), "\(piped.stdout.debugDescription)")
        #expect(piped.stdout.components(separatedBy: "Every 0.2s: verifyctl status").count - 1 >= 2, "\(piped.stdout)")
    }

    @Test func aDaemonThatIsNotThereIsSaidAtEachRedraw() throws {
        let temp = TemporaryDirectory()
        let result = try Tool.run(["timeout", "-k", "10", "-s", "INT", "2", Tool.verifyctl, "status", "--watch", "-n", "0.2", "--socket", temp.file("none.sock")])
        let draws = result.stdout.components(separatedBy: "Every 0.2s: verifyctl status").dropFirst()
        #expect(draws.count >= 2 && draws.allSatisfy { $0.contains("verifyctl: ") && $0.contains("none.sock") }, "\(result.stdout)")
    }

    @Test(arguments: ["0", "-1", "nan", "1e9"])
    func aBadIntervalIsRefusedByName(interval: String) throws {
        let result = try Tool.run([Tool.verifyctl, "status", "--watch", "-n", interval, "--socket", "/nonexistent.sock"])
        #expect(result.status != 0 && result.stderr.contains("--interval"), "\(result)")
    }
}
