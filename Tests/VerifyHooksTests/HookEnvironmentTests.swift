import Foundation
import Testing
import VerifyProtocol
import VerifyTestSupport
@testable import VerifyHooks

struct HookEnvironmentTests {
    @Test func textForPeopleIsEscapedAndTheArchiveStaysExact() {
        let archive = "/b/x\nReply-To: evil@example.org.tar"
        let alert = Alert(
            seq: 4, kind: .verificationFailed, time: 0, destination: "nightly", archive: archive, runId: 9,
            summary: "nightly: x\nReply-To: evil@example.org.tar failed verification: 1 failure(s)",
            details: [FailureSummary(path: "e\u{1b}[31m", kind: "missing", expected: nil, actual: nil)], failureCount: 1)
        let variables = HookEnvironment.variables(for: alert, repeat: 1, hooksDirectory: "/h")
        #expect(variables["VERIFYD_SUMMARY"] == "nightly: x\\nReply-To: evil@example.org.tar failed verification: 1 failure(s)")
        #expect(variables["VERIFYD_DESCRIPTION"] == "nightly: x\\nReply-To: evil@example.org.tar failed verification: 1 failure(s)\nmissing: e\\x1b[31m")
        #expect(variables["VERIFYD_ARCHIVE"] == archive)
        #expect(variables["VERIFYD_ARCHIVE_PRINTABLE"] == "/b/x\\nReply-To: evil@example.org.tar")
    }

    @Test func aHookThatCannotBeStartedIsAFailureToRetry() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("all-bad.sh")
        try ExecutableScript.write("#!/nonexistent/interpreter\n", to: path)
        let outcome = HookExecution.run(path, input: [], environment: [:], timeout: 5)
        #expect(outcome.notStarted && outcome.wantsRetry && !outcome.succeeded, "\(outcome)")
        // An environment over the kernel's limit for one string (E2BIG) is the same.
        let ok = directory.file("all-ok.sh")
        try ExecutableScript.write("#!/bin/sh\nexit 0\n", to: ok)
        let huge = HookExecution.run(ok, input: [], environment: ["BIG": String(repeating: "x", count: 200_000)], timeout: 5)
        #expect(huge.notStarted && huge.wantsRetry, "\(huge)")
    }

    @Test func theWorstAlertStillStartsAHook() throws {
        // Every field 140,000 bytes, of the characters that grow most when escaped.
        for filler in ["\u{1}", "é", "\u{9b}", "a"] {
            let huge = String(repeating: filler, count: 140_000)
            let details = (0..<25).map { _ in FailureSummary(path: huge, kind: huge, expected: huge, actual: huge) }
            let alert = Alert(
                seq: 1, kind: .verificationFailed, time: 0, destination: huge, archive: huge, runId: 1, summary: huge, details: details,
                failureCount: 1_000_000)
            let variables = HookEnvironment.variables(for: alert, repeat: 1, hooksDirectory: "/h")
            let largest = variables.map { $0.key.utf8.count + 1 + $0.value.utf8.count }.max() ?? 0
            #expect(largest < 64 << 10, "\(largest) bytes in one variable: the kernel takes 128 KiB")
            let directory = TemporaryDirectory()
            let path = directory.file("all-ok.sh")
            try ExecutableScript.write("#!/bin/sh\nexit 0\n", to: path)
            let outcome = HookExecution.run(path, input: WireProtocol.line(alert), environment: variables, timeout: 10)
            #expect(outcome.succeeded, "\(outcome)")
        }
    }
}
