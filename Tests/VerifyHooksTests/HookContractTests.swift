import Foundation
import Testing
import VerifyTestSupport

/// The hook contract of hooks/README.md, read the way a hook author's script reads it: stdin is
/// one JSON line `{"v":1,"alert":{...}}` with the documented fields of the alert.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct HookContractTests {
    @Test func aHookThatParsesStdinAsDocumentedFindsEveryField() throws {
        let temp = TemporaryDirectory()
        let out = temp.file("parsed")
        // Exits 1 (a logged failure, not a retry) if a documented field is missing.
        let script = """
            #!/usr/bin/python3
            import json, sys
            line = sys.stdin.readline()
            message = json.loads(line)
            assert message["v"] == 1, message
            alert = message["alert"]
            documented = ["status", "labels", "annotations", "startsAt", "fingerprint", "time",
                          "seq", "kind", "severity", "destination", "summary", "details", "failureCount"]
            missing = [key for key in documented if key not in alert]
            with open("\(out)", "a") as f:
                f.write("missing=%s kind=%s status=%s destination=%s severity=%s\\n" % (
                    ",".join(missing) or "none", alert.get("kind"), alert.get("status"),
                    alert.get("labels", {}).get("destination"), alert.get("labels", {}).get("severity")))
            sys.exit(1 if missing else 0)

            """
        var setup = try AlertDeliveryTests.Setup(extraHooks: [("test-parse.py", script, 0o755)])
        try setup.daemon.start()
        try setup.startHooks()
        #expect(try setup.daemon.ctl(["alerts", "test"]).status == 0)
        // The whole line, not the file alone: it exists from the hook's open, before its write.
        #expect(waitUntil(seconds: 30) { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").hasSuffix("\n") }, "\(setup.hooks?.text ?? "")")
        let parsed = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(parsed.hasPrefix("missing=none kind=test status=firing destination=nightly severity="), "\(parsed)")
    }
}
