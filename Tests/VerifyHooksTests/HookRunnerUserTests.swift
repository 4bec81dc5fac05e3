import Foundation
import Testing
import VerifyTestSupport

/// The hook runner as its own user (docs/security.md, issue 13 §8): with the daemon's group for
/// the socket and nothing else, it follows the alerts and runs its hooks, and from there neither it nor a
/// hook can read verifyd's state folder or act as an admin on the socket.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct HookRunnerUserTests {
    static let setpriv = Tool.exists("setpriv")

    @Test(
        .enabled(if: setpriv, "setpriv (util-linux) is installed by make test"),
        .enabled(if: Tool.binariesRunnableByOthers, "nobody cannot reach the built verifyctl (the checkout is in a folder only its owner may enter)"))
    func aRunnerWithOnlyTheSocketGroupDeliversAndSeesNoState() throws {
        // As the shipped units have it: the runner is its own user (nobody here), with the
        // daemon's group as a supplementary group for the socket (0660, the daemon's group when
        // socket_group is unset). The daemon runs as root here, so that group is 0.
        let runnerUID = 65534, runnerGID = 65534, socketGID = Int(getegid())
        let daemon = DaemonHarness()
        chmod(daemon.directory.path, 0o755)
        let hooksDirectory = try daemon.folder("hooks.d")
        let hooksState = try daemon.folder("hooks-state")
        let output = try daemon.folder("out")
        for folder in [hooksState, output] { chown(folder, uid_t(runnerUID), gid_t(runnerGID)) }
        // The hook records who it runs as, then tries the state folder and an admin command.
        let hook = hooksDirectory + "/all-probe.sh"
        try ExecutableScript.write("""
            #!/bin/sh
            out='\(output)'
            echo "alert $VERIFYD_KIND uid $(id -u) groups $(id -G)" >> "$out/record"
            if ls '\(daemon.stateDirectory)' > /dev/null 2>&1 || cat '\(daemon.stateDirectory)/history.sqlite' > /dev/null 2>&1; then
                echo "state readable" >> "$out/record"
            else
                echo "state denied" >> "$out/record"
            fi
            '\(Tool.verifyctl)' reload --socket '\(daemon.socketPath)' > /dev/null 2>&1
            echo "reload exit $?" >> "$out/record"
            """, to: hook)
        daemon.destinations = [
            "[hooks]\ndirectory = \"\(hooksDirectory)\"\nstate_directory = \"\(hooksState)\"",
            DaemonFixtures.destination("d", path: try daemon.folder("backups")),
        ]
        try daemon.start()
        var info = stat()
        #expect(stat(daemon.stateDirectory, &info) == 0 && info.st_mode & 0o777 == 0o700, "the state folder is the daemon's alone")
        #expect(stat(daemon.socketPath, &info) == 0 && Int(info.st_gid) == socketGID && info.st_mode & 0o777 == 0o660)

        let runner = Process()
        runner.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        runner.arguments = [
            "--reuid=\(runnerUID)", "--regid=\(runnerGID)", "--groups=\(socketGID)",
            Tool.verifydHooks, "--config", daemon.configPath,
        ]
        let log = daemon.directory.file("hooks.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        runner.standardOutput = handle
        runner.standardError = handle
        try runner.run()
        defer { if runner.isRunning { kill(runner.processIdentifier, SIGKILL) } }
        let logText = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        #expect(waitUntil(seconds: 20) { logText().contains("following alerts") || logText().contains("first start") }, "\(logText())")

        #expect(try daemon.ctl(["alerts", "test"]).status == 0)
        let record = output + "/record"
        let lines = { ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        #expect(waitUntil(seconds: 30) { lines().contains { $0.hasPrefix("reload exit") } }, "\(lines()) \(logText())")
        #expect(lines().first == "alert test uid \(runnerUID) groups \(runnerGID) \(socketGID)", "\(lines())")
        #expect(lines().contains("state denied"), "\(lines())")
        #expect(lines().contains("reload exit 4"), "reload needs an admin: \(lines())")
        kill(runner.processIdentifier, SIGTERM)
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 0, "\(logText())")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
