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
        _ = FileManager.default.createFile(atPath: path, contents: Data("#!/nonexistent/interpreter\n".utf8))
        chmod(path, 0o755)
        let outcome = HookExecution.run(path, input: [], environment: [:], timeout: 5)
        #expect(outcome.notStarted && outcome.wantsRetry && !outcome.succeeded, "\(outcome)")
        // An environment over the kernel's limit for one string (E2BIG) is the same.
        let ok = directory.file("all-ok.sh")
        _ = FileManager.default.createFile(atPath: ok, contents: Data("#!/bin/sh\nexit 0\n".utf8))
        chmod(ok, 0o755)
        let huge = HookExecution.run(ok, input: [], environment: ["BIG": String(repeating: "x", count: 200_000)], timeout: 5)
        #expect(huge.notStarted && huge.wantsRetry, "\(huge)")
    }
}
