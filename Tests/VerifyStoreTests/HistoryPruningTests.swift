import Foundation
import Testing
import VerifyCore
import VerifyStore
import VerifyTestSupport

/// What history keeps of archives that are gone, on real SQLite files: the database stays the
/// size of what is kept, however many archives came and went.
struct HistoryPruningTests {
    /// Records one finished run of `archive` that read `entries` entries.
    @discardableResult
    func verify(_ store: HistoryStore, _ archive: String, at time: Double, entries: Int, verdict: Verdict = .pass) throws -> Int64 {
        let run = try store.start(RunRecord(
            destination: "d", archivePath: archive, archiveSize: 10, archiveMtime: time, trigger: "arrival", started: time,
            sample: "all", seed: 1))
        let id = try #require(run.id)
        try store.setArchiveCoverageInfo(destination: "d", archive: archive, size: 10, mtime: time, entries: entries, cycleStarted: time)
        try store.recordCoverage(
            destination: "d", archive: archive, runID: id, at: time,
            entries: (0..<entries).map { ("etc/file\($0)", false, "sha256:\($0)", 1) })
        try store.finish(
            runID: id, outcome: RunOutcome(verdict: verdict, finished: time + 1),
            failures: verdict == .fail ? [FailureRecord(runId: id, path: "etc/file0", kind: "content_mismatch", expected: nil, actual: nil)] : [],
            failureCount: verdict == .fail ? 1 : 0)
        return id
    }

    @Test func aRemovedArchiveLosesItsCoverageAtOnceAndItsRunsAfterTheRetention() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        try verify(store, "/d/old.tar", at: 100, entries: 5, verdict: .fail)
        try verify(store, "/d/old.tar", at: 200, entries: 5, verdict: .fail)
        try verify(store, "/d/kept.tar", at: 300, entries: 5)
        #expect(try store.failingArchives(destination: "d") == ["/d/old.tar"])

        let counts = try store.archiveRemoved(destination: "d", archive: "/d/old.tar", at: 400)
        #expect(counts == .init(runsMarked: 2, coverageRows: 5))
        #expect(try store.entryCoverage(destination: "d", archive: "/d/old.tar").isEmpty)
        #expect(try store.archiveCoverageInfo(destination: "d", archive: "/d/old.tar") == nil)
        #expect(try store.latestFinishedRunPerArchive(destination: "d").map(\.archivePath) == ["/d/kept.tar"], "not scheduled at the next start")
        #expect(try store.failingArchives(destination: "d").isEmpty, "nor reported failing")
        #expect(try store.runCount() == 3, "the failure record outlives the file")

        #expect(try store.prune(destination: "d", finishedBefore: 100) == 0, "within the retention")
        #expect(try store.prune(destination: "d", finishedBefore: 10_000) == 2, "then all its runs go, the newest too")
        #expect(try store.latestFinishedRunPerArchive(destination: "d").map(\.archivePath) == ["/d/kept.tar"])
        #expect(try store.rowCounts()["failure"] == 0, "failures go with their runs")
        #expect(try store.entryCoverage(destination: "d", archive: "/d/kept.tar").count == 5)
    }

    @Test func anArchiveThatComesBackStartsAfresh() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        try verify(store, "/d/a.tar", at: 100, entries: 2, verdict: .fail)
        try store.archiveRemoved(destination: "d", archive: "/d/a.tar", at: 150)
        try verify(store, "/d/a.tar", at: 200, entries: 2, verdict: .interrupted)
        #expect(try store.latestFinishedRunPerArchive(destination: "d").map(\.archivePath) == ["/d/a.tar"])
        #expect(try store.failingArchives(destination: "d").isEmpty, "the removal ended the old failure")
        try verify(store, "/d/a.tar", at: 300, entries: 2, verdict: .error)
        try verify(store, "/d/a.tar", at: 400, entries: 2, verdict: .interrupted)
        #expect(try store.failingArchives(destination: "d") == ["/d/a.tar"], "an interrupted run proves nothing")
        #expect(try store.prune(destination: "d", finishedBefore: 10_000) == 3, "the removed run, and those before the newest")
    }

    @Test func coverageThatNoKeptRunStandsForIsPruned() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        try verify(store, "/d/a.tar", at: 100, entries: 3)
        try verify(store, "/d/b.tar", at: 100, entries: 3)
        // Left by an older verifyd: coverage of an archive whose runs are marked removed.
        try store.archiveRemoved(destination: "d", archive: "/d/b.tar", at: 200)
        try store.recordCoverage(destination: "d", archive: "/d/b.tar", runID: 2, at: 210, entries: [("x", false, nil, nil)])
        try store.setArchiveCoverageInfo(destination: "d", archive: "/d/b.tar", size: 1, mtime: 1, entries: 1)
        #expect(try store.pruneOrphanedCoverage(destination: "d") == 1)
        #expect(try store.rowCounts()["coverage"] == 3)
        #expect(try store.rowCounts()["archive_entries"] == 1)
        #expect(try store.pruneOrphanedCoverage(destination: "d") == 0)
    }

    @Test func futureMtimesAreOneRowPerArchiveAndGoWithIt() throws {
        let directory = TemporaryDirectory()
        let store = try HistoryStore(path: directory.file("h.sqlite"))
        try store.recordFutureMtime(destination: "d", .init(archive: "/d/x.tar", mtime: 4e9, firstSeen: 10))
        try store.recordFutureMtime(destination: "d", .init(archive: "/d/x.tar", mtime: 5e9, firstSeen: 20))
        try store.recordFutureMtime(destination: "e", .init(archive: "/d/x.tar", mtime: 4e9, firstSeen: 10))
        #expect(try store.futureMtimes(destination: "d") == [.init(archive: "/d/x.tar", mtime: 5e9, firstSeen: 20)])
        try store.archiveRemoved(destination: "d", archive: "/d/x.tar", at: 30)
        #expect(try store.futureMtimes(destination: "d").isEmpty)
        #expect(try store.futureMtimes(destination: "e").count == 1)
    }

    /// Nightlies rotated so that 3 are kept, 100 nights: before, coverage grew by one archive's
    /// entries every night (forever); now it holds the kept archives' entries.
    @Test func aHundredRotatingArchivesLeaveOnlyWhatIsKept() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("h.sqlite")
        let store = try HistoryStore(path: path)
        let entries = 200, kept = 3, day = 86400.0
        for night in 0..<100 {
            try verify(store, "/d/nightly-\(night).tar", at: Double(night) * day, entries: entries)
            if night >= kept { try store.archiveRemoved(destination: "d", archive: "/d/nightly-\(night - kept).tar", at: Double(night) * day + 10) }
        }
        var counts = try store.rowCounts()
        #expect(counts["coverage"] == kept * entries, "\(counts)")
        #expect(counts["archive_entries"] == kept)
        #expect(counts["run"] == 100, "runs within history_retention are kept")
        // 30 days of retention at night 100.
        try store.prune(destination: "d", finishedBefore: 100 * day - 30 * day)
        counts = try store.rowCounts()
        #expect(counts["run"] == 30, "\(counts)")
        #expect(counts["coverage"] == kept * entries)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size < 1 << 20, "\(size) bytes")
    }
}
