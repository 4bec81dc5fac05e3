import Foundation
import Testing
import VerifyClient
import VerifyProtocol
import VerifyTestSupport

/// One lane per hook, with the real binaries: a hook that keeps failing delays no other, each
/// hook resumes after its own cursor, and a lane far behind reads its alerts back from the log.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct HookLaneTests {
    @Test func aHookThatKeepsFailingDelaysNoOtherHook() throws {
        var setup = try AlertDeliveryTests.Setup(extraHooks: [
            ("all-tempfail.sh", "#!/bin/sh\necho relay down >&2\nexit 75\n", 0o755),
            ("all-unstartable.sh", "#!/nonexistent/interpreter\n", 0o755),
        ])
        try setup.daemon.start()
        try setup.startHooks()
        var seqs: [String] = []
        for _ in 0..<3 {
            let raised = try setup.daemon.ctl(["alerts", "test"])
            #expect(raised.status == 0, "\(raised.stderr)")
            seqs.append(String(raised.stdout.split(separator: " ")[2]))
        }
        // The failing hooks wait 2, 5, 15, 30 and 60 s between tries of the first alert; the
        // recording hook has all three long before.
        let expected = seqs.map { "\($0) test " }
        #expect(waitUntil(seconds: 25) { setup.recorded.count == 3 }, "\(setup.recorded)\n\(setup.hooks?.text ?? "")")
        #expect(zip(setup.recorded, expected).allSatisfy { $0.hasPrefix($1) }, "in order: \(setup.recorded)")
        let log = setup.hooks?.text ?? ""
        #expect(log.contains("hook asks to be retried (exit 75)") && log.contains("all-tempfail.sh"), "\(log)")
        #expect(waitUntil(seconds: 10) { (setup.hooks?.text ?? "").contains("hook cannot be started; retrying") }, "\(setup.hooks?.text ?? "")")
        // The lane writes its cursor after the hook has exited, so after the hook's record.
        let cursorPath = setup.daemon.directory.file("hooks-state/cursors/all-record.sh")
        func cursor() -> String { ((try? String(contentsOfFile: cursorPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(waitUntil(seconds: 10) { cursor() == seqs.last }, "cursor \(cursor()), last alert \(seqs.last ?? "-")")
        let failing = try String(contentsOfFile: setup.daemon.directory.file("hooks-state/cursors/all-tempfail.sh"), encoding: .utf8)
        #expect(Int64(failing.trimmingCharacters(in: .whitespacesAndNewlines))! < Int64(seqs[0])!, "not delivered: the cursor stays before the first alert")
        setup.hooks?.stop()
        #expect(setup.daemon.signal(SIGTERM) == 0)
    }

    @Test func aLaneFarBehindReadsItsAlertsBackFromTheLogInOrder() throws {
        // The gate hook waits until the test opens its gate: meanwhile 300 alerts come, more
        // than a lane keeps in memory (256).
        let gate = TemporaryDirectory()
        let body = "#!/bin/sh\nwhile [ ! -e '\(gate.file("open"))' ]; do sleep 0.05; done\necho \"$VERIFYD_SEQ\" >> '\(gate.file("seen"))'\n"
        var setup = try AlertDeliveryTests.Setup(timeout: "120s", extraHooks: [("all-gate.sh", body, 0o755)])
        try setup.daemon.start()
        try setup.startHooks()
        let client = try ControlClient(socketPath: setup.daemon.socketPath)
        var seqs: [Int64] = []
        for _ in 0..<300 { seqs.append(try client.call(.testAlert, NoArguments(), expecting: TestAlertResult.self).seq) }
        #expect(waitUntil(seconds: 90) { setup.recorded.count == 300 }, "the recording hook does not wait: \(setup.recorded.count)")
        _ = FileManager.default.createFile(atPath: gate.file("open"), contents: nil)
        func seen() -> [String] {
            ((try? String(contentsOfFile: gate.file("seen"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        #expect(waitUntil(seconds: 90) { seen().count >= 300 }, "\(seen().count)")
        #expect(seen() == seqs.map(String.init), "every alert once, in order")
        let log = setup.hooks?.text ?? ""
        #expect(log.contains("hook lane fell behind"), "\(log.suffix(2000))")
        setup.hooks?.stop()
        #expect(setup.daemon.signal(SIGTERM) == 0)
    }

    @Test func eachHookResumesAfterItsOwnCursor() throws {
        let work = TemporaryDirectory()
        let failing = work.file("fail")
        let body = "#!/bin/sh\n[ -e '\(failing)' ] && exit 75\necho \"$VERIFYD_SEQ\" >> '\(work.file("flaky"))'\n"
        var setup = try AlertDeliveryTests.Setup(extraHooks: [("all-flaky.sh", body, 0o755)])
        _ = FileManager.default.createFile(atPath: failing, contents: nil)
        try setup.daemon.start()
        try setup.startHooks()
        var seqs: [String] = []
        for _ in 0..<3 {
            let raised = try setup.daemon.ctl(["alerts", "test"])
            seqs.append(String(raised.stdout.split(separator: " ")[2]))
        }
        #expect(waitUntil(seconds: 30) { setup.recorded.count == 3 }, "\(setup.hooks?.text ?? "")")
        #expect(waitUntil(seconds: 30) { (setup.hooks?.text ?? "").contains("hook asks to be retried (exit 75)") })
        // The runner stops while the flaky hook is still on the first alert; the relay is back.
        setup.hooks?.stop()
        try FileManager.default.removeItem(atPath: failing)
        try setup.startHooks()
        func flaky() -> [String] {
            ((try? String(contentsOfFile: work.file("flaky"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        #expect(waitUntil(seconds: 30) { flaky().count >= 3 }, "\(setup.hooks?.text ?? "")")
        #expect(flaky() == seqs, "every alert once, in order, for the hook that had failed")
        // The recording hook had them all already. A stop between its last run and the write of
        // its cursor may repeat that one alert (at least once, as documented), never an older one.
        let recorded = setup.recorded.map { String($0.split(separator: " ")[0]) }
        #expect(recorded == seqs || recorded == seqs + [seqs[2]], "\(recorded)")
        setup.hooks?.stop()
        #expect(setup.daemon.signal(SIGTERM) == 0)
    }
}
