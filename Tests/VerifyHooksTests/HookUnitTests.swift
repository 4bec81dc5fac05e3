import Foundation
import Testing
import VerifyProtocol
import VerifyTestSupport
@testable import VerifyHooks

struct FloodControlTests {
    func alert(_ kind: AlertKind, _ destination: String = "d") -> Alert {
        Alert(seq: 1, kind: kind, time: 0, destination: destination, archive: nil, runId: nil, summary: "s", details: [], failureCount: 0)
    }

    @Test func repeatsThinOutWhileTheProblemLastsAndRecoveryEndsThem() {
        var flood = FloodControl()
        let hour = 3600.0
        #expect(flood.decide(alert(.verificationFailed), now: 0, interval: hour, maxInterval: 4 * hour) == (true, 1))
        #expect(flood.decide(alert(.verificationFailed), now: 10, interval: hour, maxInterval: 4 * hour) == (false, 1))
        #expect(flood.decide(alert(.stale), now: 20, interval: hour, maxInterval: 4 * hour) == (true, 1), "another kind is another problem")
        #expect(flood.decide(alert(.verificationFailed, "e"), now: 30, interval: hour, maxInterval: 4 * hour) == (true, 1), "another destination too")
        #expect(flood.decide(alert(.verificationFailed), now: hour, interval: hour, maxInterval: 4 * hour) == (true, 2), "first reminder after the interval")
        #expect(flood.decide(alert(.verificationFailed), now: 2.5 * hour, interval: hour, maxInterval: 4 * hour).0 == false, "then twice as long")
        #expect(flood.decide(alert(.verificationFailed), now: 3 * hour, interval: hour, maxInterval: 4 * hour) == (true, 3))
        #expect(flood.decide(alert(.verificationFailed), now: 6.9 * hour, interval: hour, maxInterval: 4 * hour).0 == false)
        #expect(flood.decide(alert(.verificationFailed), now: 7 * hour, interval: hour, maxInterval: 4 * hour) == (true, 4), "capped at maxInterval")
        #expect(flood.decide(alert(.recovered), now: 7 * hour + 1, interval: hour, maxInterval: 4 * hour).0, "recovered always goes out")
        #expect(flood.decide(alert(.verificationFailed), now: 7 * hour + 2, interval: hour, maxInterval: 4 * hour) == (true, 1), "a new series")
        #expect(flood.decide(alert(.test), now: 7 * hour + 3, interval: hour, maxInterval: 4 * hour).0)
        #expect(flood.decide(alert(.test), now: 7 * hour + 4, interval: hour, maxInterval: 4 * hour).0, "tests are never held back")
    }

    @Test func anAlertReadAgainGetsTheSameDecisionEvenAfterARestart() throws {
        var flood = FloodControl()
        func numbered(_ seq: Int64) -> Alert {
            var failed = alert(.verificationFailed)
            failed.seq = seq
            return failed
        }
        #expect(flood.decideOnce(numbered(1), now: 0, interval: 60, maxInterval: 600) == (true, 1))
        #expect(flood.decideOnce(numbered(2), now: 1, interval: 60, maxInterval: 600) == (false, 1), "a repeat")
        var restarted = try JSONDecoder().decode(FloodControl.self, from: JSONEncoder().encode(flood))
        #expect(restarted.decideOnce(numbered(1), now: 2, interval: 60, maxInterval: 600) == (true, 1), "replayed: still sent")
        #expect(restarted.decideOnce(numbered(2), now: 3, interval: 60, maxInterval: 600) == (false, 1))
        #expect(restarted.entries.first?.value.sent == 1, "not counted twice")
        // A record from before decisions were kept still reads.
        let old = try JSONDecoder().decode(FloodControl.self, from: Data(#"{"entries":{}}"#.utf8))
        #expect(old.decided == nil)
        for seq in Int64(10)..<Int64(10 + FloodControl.decidedLimit + 5) { _ = restarted.decideOnce(numbered(seq), now: 4, interval: 60, maxInterval: 600) }
        #expect(restarted.decided?.count == FloodControl.decidedLimit)
    }

    @Test func survivesAJSONRoundTrip() throws {
        var flood = FloodControl()
        _ = flood.decide(alert(.unavailable), now: 5, interval: 60, maxInterval: 600)
        let copy = try JSONDecoder().decode(FloodControl.self, from: JSONEncoder().encode(flood))
        #expect(copy == flood)
        var again = copy
        #expect(again.decide(alert(.unavailable), now: 6, interval: 60, maxInterval: 600).0 == false)
    }
}

struct HookDirectoryTests {
    func hook(_ directory: TemporaryDirectory, _ name: String, mode: mode_t = 0o755, body: String = "#!/bin/sh\nexit 0\n") throws -> String {
        let path = directory.file(name)
        try ExecutableScript.write(body, to: path, mode: mode)
        return path
    }

    @Test func selectsByKindOrAllInNameOrderAndRefusesUnsafeFiles() throws {
        let directory = TemporaryDirectory()
        let failed = try hook(directory, "verification_failed-page")
        let all = try hook(directory, "all-email.sh")
        _ = try hook(directory, "stale-email.sh")
        _ = try hook(directory, "all-old.sh~")
        _ = try hook(directory, "email.conf", mode: 0o644)
        let writable = try hook(directory, "all-group-writable.sh", mode: 0o775)
        let notExecutable = try hook(directory, "all-plain.sh", mode: 0o644)
        let selection = HookDirectory.hooks(in: directory.path, for: "verification_failed")
        #expect(selection.runnable == [all, failed])
        #expect(selection.refused[writable]?.contains("writable by group or others") == true)
        #expect(selection.refused[notExecutable]?.contains("not executable") == true)
        #expect(HookDirectory.hooks(in: directory.path, for: "recovered").runnable == [all])
    }

    @Test(.enabled(if: getuid() == 0, "needs root to give a file away"))
    func refusesHooksOwnedBySomeoneElse() throws {
        let directory = TemporaryDirectory()
        let path = try hook(directory, "all-foreign.sh")
        chown(path, 65534, 65534)
        #expect(HookDirectory.problem(with: path)?.contains("owned by uid 65534") == true)
    }
}

struct HookExecutionTests {
    @Test func aHookGetsOnlyItsEnvironmentAndTheAlertOnStdin() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("all-env.sh")
        try ExecutableScript.write("#!/bin/sh\nenv | sort\necho stdin: $(cat)\n", to: path)
        setenv("VERIFYD_TEST_SECRET", "leak", 1)
        let outcome = HookExecution.run(path, input: Array("{\"seq\":1}".utf8), environment: ["PATH": "/usr/bin:/bin", "VERIFYD_KIND": "test; rm -rf /"], timeout: 10)
        #expect(outcome.succeeded)
        #expect(outcome.output.contains("VERIFYD_KIND=test; rm -rf /"), "text is data, never a command")
        #expect(!outcome.output.contains("VERIFYD_TEST_SECRET"))
        #expect(!outcome.output.contains("HOME="))
        #expect(outcome.output.contains("stdin: {\"seq\":1}"))
    }

    @Test func aHangingHookAndItsChildrenAreKilledAtTheTimeout() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("all-hang.sh")
        let marker = directory.file("child-alive")
        try ExecutableScript.write("#!/bin/sh\ntrap '' TERM\n(sleep 30; touch '\(marker)') &\nsleep 60\n", to: path)
        let outcome = HookExecution.run(path, input: [], environment: ["PATH": "/usr/bin:/bin"], timeout: 1)
        #expect(outcome.timedOut)
        #expect(outcome.signal == SIGKILL, "it ignored SIGTERM, so SIGKILL after 5 s")
        #expect(outcome.seconds < 15)
        #expect(!outcome.succeeded)
    }

    @Test func exitStatus75AsksForARetry() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("all-later.sh")
        try ExecutableScript.write("#!/bin/sh\nexit 75\n", to: path)
        #expect(HookExecution.run(path, input: [], environment: [:], timeout: 5).wantsRetry)
    }
}

struct EmailHookScriptTests {
    static let script = Tool.repositoryRoot + "/hooks/all-email.sh"

    @Test(.enabled(if: Tool.exists("shellcheck"), "shellcheck is installed by make test"))
    func passesShellCheck() throws {
        let result = try Tool.run(["shellcheck", "-s", "sh", Self.script])
        #expect(result.status == 0, "\(result.stdout)")
    }

    @Test func parsesUnderDash() throws {
        #expect(try Tool.run(["dash", "-n", Self.script]).status == 0)
    }

    @Test func anUnreachableRelayAsksForARetry() throws {
        let directory = TemporaryDirectory()
        try "relay=127.0.0.1:1\nto=a@example.org\ntimeout=5\n".write(toFile: directory.file("email.conf"), atomically: true, encoding: .utf8)
        let outcome = HookExecution.run(
            Self.script, input: [], environment: ["PATH": "/usr/bin:/bin", "VERIFYD_HOOKS_DIR": directory.path, "VERIFYD_SUMMARY": "x"], timeout: 20)
        #expect(outcome.status == 75, "\(outcome.output)")
        #expect(outcome.output.contains("cannot reach the relay 127.0.0.1:1"))
    }
}
