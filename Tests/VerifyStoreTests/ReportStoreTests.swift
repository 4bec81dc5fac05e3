import Foundation
import Testing
import VerifyCore
import VerifyStore
import VerifyTestSupport

/// The reads behind `report` on a real SQLite file: the window, the bound and the count of what
/// it left out; held and unfinished runs are not in it.
struct ReportStoreTests {
    @discardableResult
    func run(_ store: HistoryStore, destination: String = "d", finished: Double?, verdict: Verdict = .pass, held: Bool = false,
             findings: Int = 0) throws -> Int64 {
        let started = try store.start(RunRecord(
            destination: destination, archivePath: "/d/a.tar", archiveSize: 10, archiveMtime: 5, trigger: "arrival",
            started: (finished ?? 1_000) - 1, sample: "all", seed: 1))
        let id = try #require(started.id)
        guard let finished else { return id }
        var outcome = RunOutcome(verdict: verdict, finished: finished)
        if held {
            outcome.heldUntil = finished + 60
            outcome.heldIdentities = "[]"
        }
        let failures = (0..<findings).map { FailureRecord(runId: 0, path: "e\($0)", kind: "missing", expected: nil, actual: nil) }
        try store.finish(runID: id, outcome: outcome, failures: failures, failureCount: findings)
        return id
    }

    @Test func theWindowTheBoundAndWhatItLeftOut() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        for index in 0..<30 { try run(store, finished: 1_000 + Double(index)) }
        try run(store, finished: 500)  // before the window
        try run(store, finished: nil)  // still running
        try run(store, finished: 2_000, verdict: .fail, held: true, findings: 2)  // not confirmed yet
        try run(store, destination: "other", finished: 1_500)
        let (runs, total) = try store.finishedRuns(destination: "d", since: 1_000, limit: 10)
        #expect(total == 30)
        #expect(runs.count == 10)
        #expect(runs.map(\.finished) == (20..<30).reversed().map { 1_000 + Double($0) }, "the newest, newest first")
    }

    @Test func failingRunsAreBoundedAndTheirFindingsToo() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        var ids: [Int64] = []
        for index in 0..<7 { ids.append(try run(store, finished: 1_000 + Double(index), verdict: index % 2 == 0 ? .fail : .error, findings: 9)) }
        try run(store, finished: 1_100, verdict: .pass)
        try run(store, finished: 1_200, verdict: .interrupted)
        try run(store, finished: 1_300, verdict: .fail, held: true, findings: 1)
        let (runs, total) = try store.failingRuns(destination: "d", since: 0, limit: 3)
        #expect(total == 7)
        #expect(runs.compactMap(\.id) == Array(ids.suffix(3).reversed()))
        #expect(try store.failures(runID: ids[0], limit: 5).map(\.path) == ["e0", "e1", "e2", "e3", "e4"])
    }
}
