import Foundation
import Testing
import VerifyCore
@testable import VerifyProtocol

/// Verdicts on the wire are typed, and their JSON is the string it always was: a newer verifyd
/// with a verdict this build does not know is shown, not refused.
struct RunVerdictTests {
    static func summary(_ verdict: RunVerdict) -> RunSummary {
        RunSummary(
            id: 7, destination: "nightly", archive: "/b/x.tar", archiveSize: 10, archiveMtime: 1, archiveDigest: nil,
            trigger: "arrival", started: 1, finished: 2, verdict: verdict, sample: "all", seed: "1", entriesSeen: 3,
            entriesSelected: 3, entriesChecked: 3, bytesRead: 10, durationSeconds: 1, failureCount: 0, error: nil)
    }

    static func verdictField(_ data: Data) throws -> String? {
        (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["verdict"] as? String
    }

    @Test(arguments: ["pass", "fail", "error", "interrupted", "running"])
    func eachVerdictKeepsItsSpellingBothWays(word: String) throws {
        let verdict = RunVerdict(wire: word)
        #expect(verdict.description == word)
        #expect(verdict == (word == "running" ? .running : .finished(Verdict(rawValue: word)!)))
        let data = try JSONEncoder().encode(Self.summary(verdict))
        #expect(try Self.verdictField(data) == word)
        #expect(try JSONDecoder().decode(RunSummary.self, from: data).verdict == verdict)
    }

    @Test func aVerdictFromANewerDaemonDecodesAsUnrecognizedWithItsWord() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.summary(.pass))) as? [String: Any])
        object["verdict"] = "quarantined"
        let decoded = try JSONDecoder().decode(RunSummary.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(decoded.verdict == .unrecognized("quarantined"))
        #expect(decoded.verdict.verdict == nil)
        #expect(decoded.verdict.description == "quarantined")
        // Encoded again, it is the same word.
        #expect(try Self.verdictField(JSONEncoder().encode(decoded)) == "quarantined")
    }

    @Test func aReportRunDecodesAnUnknownVerdictToo() throws {
        let run = ReportRun(
            id: 1, archive: "/b/x.tar", archiveSize: 1, archiveMtime: 1, started: 1, finished: 2, verdict: .fail,
            entriesSeen: 1, entriesChecked: 1, failureCount: 1)
        let text = String(decoding: try JSONEncoder().encode(run), as: UTF8.self)
        #expect(text.contains(#""verdict":"fail""#))
        let newer = Data(text.replacingOccurrences(of: #""verdict":"fail""#, with: #""verdict":"skipped""#).utf8)
        #expect(try JSONDecoder().decode(ReportRun.self, from: newer).verdict == .unrecognized("skipped"))
    }

    @Test func aRunRecordWithoutAVerdictIsRunning() {
        #expect(RunVerdict(nil) == .running)
        #expect(RunVerdict(.interrupted) == .interrupted)
        #expect(RunVerdict.pass.verdict == .pass)
    }
}
