import Foundation
import Testing
import VerifyCore
import VerifyStore
import VerifyTestSupport

/// A failing verdict held until its archive is still: recorded with its findings, then either
/// confirmed together with its alert, or turned into `interrupted`.
struct HeldRunStoreTests {
    func heldRun(_ store: HistoryStore) throws -> Int64 {
        let started = try store.start(RunRecord(
            destination: "d", archivePath: "/d/a.tar", archiveSize: 10, archiveMtime: 5, trigger: "arrival", started: 100,
            sample: "all", seed: 1))
        let id = try #require(started.id)
        var outcome = RunOutcome(verdict: .fail, finished: 110)
        outcome.heldUntil = 170
        outcome.heldIdentities = "[]"
        try store.finish(
            runID: id, outcome: outcome,
            failures: [FailureRecord(runId: 0, path: "x", kind: "corrupt_archive", expected: nil, actual: "truncated")], failureCount: 1)
        return id
    }

    @Test func aHeldRunIsConfirmedWithItsAlertOnceAcrossReopening() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("history.sqlite")
        let id = try heldRun(try HistoryStore(path: path))
        let store = try HistoryStore(path: path)
        #expect(try store.heldRuns().map(\.id) == [id], "a new process finds the hold")
        #expect(try store.heldRuns().first?.heldUntil == 170)
        #expect(try store.latestRunNotHeld(destination: "d") == nil, "not shown as the last run while held")
        let seq = try store.confirmHeldRun(id: id, alertTime: 171, kind: "verification_failed", destination: "d") { "{\"seq\":\($0)}" }
        #expect(seq != nil)
        #expect(try store.heldRuns().isEmpty)
        #expect(try store.alerts(after: 0, limit: 10).map(\.payload) == ["{\"seq\":\(seq!)}"])
        #expect(try store.confirmHeldRun(id: id, alertTime: 172, kind: "verification_failed", destination: "d") { _ in "again" } == nil,
                "confirmed once: no second alert")
        #expect(try store.alerts(after: 0, limit: 10).count == 1)
        #expect(try store.run(id: id)?.verdict == .fail)
        #expect(try store.failures(runID: id).count == 1)
        #expect(try store.latestRunNotHeld(destination: "d")?.id == id)
    }

    @Test func aHeldRunThatDidNotHoldIsInterruptedWithoutFindingsOrAlert() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("history.sqlite"))
        let id = try heldRun(store)
        try store.interruptHeldRun(id: id, reason: "the archive changed during verification")
        let run = try #require(try store.run(id: id))
        #expect(run.verdict == .interrupted)
        #expect(run.error == "the archive changed during verification")
        #expect(run.failureCount == 0)
        #expect(run.heldUntil == nil)
        #expect(try store.failures(runID: id).isEmpty)
        #expect(try store.confirmHeldRun(id: id, alertTime: 200, kind: "verification_failed", destination: "d") { _ in "x" } == nil)
        #expect(try store.alerts(after: 0, limit: 10).isEmpty)
        #expect(try store.latestFinishedRunPerArchive(destination: "d").map(\.verdict) == [.interrupted])
    }
}
