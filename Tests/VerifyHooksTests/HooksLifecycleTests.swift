import Foundation
import Testing
import VerifyTestSupport

/// `verifyd-hooks` under SIGTERM: it ends by its service group (exit 0, no `exit` in a signal
/// handler), the running hook gets SIGTERM, and that hook's alert, not finished, is handled
/// again at the next start, as hooks/README.md says.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct HooksLifecycleTests {
    @Test
    func sigtermStopsTheRunningHookAndItsAlertIsHandledAgainAtTheNextStart() throws {
        let gate = TemporaryDirectory("hl")
        let events = gate.file("events")
        // Runs until the gate opens; says when it starts, when it is stopped, when it finishes.
        let body = """
            #!/bin/sh
            trap 'echo "$VERIFYD_SEQ term" >> '\(events)'; exit 1' TERM
            echo "$VERIFYD_SEQ start" >> '\(events)'
            while [ ! -e '\(gate.file("open"))' ]; do sleep 0.05; done
            echo "$VERIFYD_SEQ done" >> '\(events)'

            """
        var setup = try AlertDeliveryTests.Setup(extraHooks: [("test-gated.sh", body, 0o755)])
        try setup.daemon.start()
        try setup.startHooks()
        let seq = try #require(try setup.daemon.ctl(["alerts", "test", "--json"]).object?["seq"] as? Int)
        let lines = { ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        #expect(waitUntil(seconds: 30) { lines().contains("\(seq) start") }, "\(setup.hooks?.text ?? "")")

        let hooks = try #require(setup.hooks)
        kill(hooks.process.processIdentifier, SIGTERM)
        #expect(waitUntil(seconds: 20) { !hooks.process.isRunning }, "verifyd-hooks did not end on SIGTERM: \(hooks.text)")
        hooks.process.waitUntilExit()
        #expect(hooks.process.terminationStatus == 0, "verifyd-hooks ended with status \(hooks.process.terminationStatus): \(hooks.text)")
        #expect(waitUntil(seconds: 10) { lines().contains("\(seq) term") }, "the running hook got SIGTERM: \(lines())")
        #expect(!lines().contains("\(seq) done"))

        // The next start hands the same alert to the hook again; this time it finishes.
        _ = FileManager.default.createFile(atPath: gate.file("open"), contents: nil)
        try setup.startHooks()
        #expect(waitUntil(seconds: 30) { lines().contains("\(seq) done") }, "\(lines()) \(setup.hooks?.text ?? "")")
        #expect(setup.daemon.signal(SIGTERM) == 0)
        setup.hooks?.stop()
    }
}
