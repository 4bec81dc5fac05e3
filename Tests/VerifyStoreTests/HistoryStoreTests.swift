import Foundation
import Testing
import VerifyCore
import VerifyStore
import VerifyTestSupport

/// The history on real SQLite files.
struct HistoryStoreTests {
    func run(_ archive: String, started: Double = 100) -> RunRecord {
        RunRecord(
            destination: "d", archivePath: archive, archiveSize: 10, archiveMtime: 5, trigger: "arrival", started: started,
            sample: "all", seed: UInt64.max - 1)
    }

    @Test func runsAndFailuresSurviveReopening() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("history.sqlite")
        do {
            let store = try HistoryStore(path: path)
            #expect(try store.appliedMigrations() == [
                "v1: runs and failures", "v2: alert log and destination states", "v3: entry coverage", "v4: the last good read of each entry",
                "v5: archive removals and future mtimes", "v6: failing runs held until the archive is still",
                "v7: indexes for a host of 100,000 archives", "v8: metric counters",
            ])
            let started = try store.start(run("/d/a.tar"))
            let id = try #require(started.id)
            try store.finish(
                runID: id,
                outcome: RunOutcome(verdict: .fail, finished: 110, entriesChecked: 3, bytesRead: 99, archiveDigest: "sha256:ab"),
                failures: [FailureRecord(runId: 0, path: "x", kind: "content_mismatch", expected: "sha256 00", actual: "sha256 11")],
                failureCount: 1)
        }
        let store = try HistoryStore(path: path)
        let runs = try store.runs(destination: "d", limit: 10)
        #expect(runs.count == 1)
        let only = try #require(runs.first)
        #expect(only.verdict == .fail)
        #expect(only.seedValue == UInt64.max - 1, "all 64 bits of the seed")
        #expect(only.archiveDigest == "sha256:ab")
        #expect(try store.failures(runID: only.id!).map(\.path) == ["x"])
        // WAL mode, as configured.
        let mode = try Tool.must(["sh", "-c", "test -e '\(path)-wal' && echo wal || echo none"]).stdout
        #expect(mode.contains("wal"))
    }

    @Test func unfinishedRunsBecomeInterruptedAndRetentionKeepsTheNewestRunOfEachArchive() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        var ids: [Int64] = []
        for (index, archive) in ["/d/a", "/d/a", "/d/b"].enumerated() {
            let started = try store.start(run(archive, started: Double(index * 100)))
            ids.append(started.id!)
            try store.finish(runID: started.id!, outcome: RunOutcome(verdict: .pass, finished: Double(index * 100 + 10)), failures: [], failureCount: 0)
        }
        let open = try store.start(run("/d/c"))
        #expect(try store.markUnfinishedRunsInterrupted(at: 500, reason: "crash") == 1)
        #expect(try store.run(id: open.id!)?.verdict == .interrupted)
        #expect(try store.run(id: open.id!)?.error == "crash")
        #expect(try store.markUnfinishedRunsInterrupted(at: 600, reason: "again") == 0)

        #expect(try store.prune(destination: "d", finishedBefore: 1000) == 1, "only the older run of /d/a goes")
        #expect(try store.run(id: ids[0]) == nil)
        #expect(try store.run(id: ids[1]) != nil)
        #expect(try store.latestFinishedRunPerArchive(destination: "d").map(\.archivePath).sorted() == ["/d/a", "/d/b", "/d/c"])
    }

    @Test func failuresGoWithTheirRun() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        let started = try store.start(run("/d/a"))
        try store.finish(
            runID: started.id!, outcome: RunOutcome(verdict: .fail, finished: 1),
            failures: (0..<50).map { FailureRecord(runId: 0, path: "f\($0)", kind: "missing", expected: nil, actual: nil) },
            failureCount: 50)
        _ = try store.start(run("/d/a", started: 2))
        #expect(try store.prune(destination: "d", finishedBefore: 10) == 0, "the newest finished run of an archive is kept")
        #expect(try store.failures(runID: started.id!).count == 50)
    }

    @Test func anUnwritableLocationIsAClearError() {
        #expect(throws: StoreError.self) { try HistoryStore(path: "/proc/verifyd/history.sqlite") }
    }

    @Test func theAlertLogOnlyGrowsAndKeepsDestinationStatesAndCursors() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        #expect(try store.lastAlertSeq() == 0)
        var seqs: [Int64] = []
        for index in 0..<5 {
            seqs.append(try store.appendAlert(time: Double(index), kind: "test", destination: "d") { "{\"seq\":\($0)}" })
        }
        #expect(seqs == [1, 2, 3, 4, 5])
        #expect(try store.alerts(after: 3, limit: 10).map(\.payload) == ["{\"seq\":4}", "{\"seq\":5}"])
        #expect(try store.pruneAlerts(before: 5) == 5)
        #expect(try store.appendAlert(time: 9, kind: "test", destination: "d") { _ in "{}" } == 6, "never reused after pruning")
        #expect(try store.lastAlertSeq() == 6)

        try store.setDestinationState("d", state: "failing", since: 1)
        try store.setDestinationState("d", state: "ok", since: 2)
        try store.setDestinationState("e", state: "stale", since: 3)
        #expect(try store.destinationStates() == ["d": "ok", "e": "stale"])
        #expect(try store.alertCursor("stream:/x") == nil)
        try store.setAlertCursor("stream:/x", seq: 4)
        try store.setAlertCursor("stream:/x", seq: 6)
        #expect(try store.alertCursor("stream:/x") == 6)
    }
}
