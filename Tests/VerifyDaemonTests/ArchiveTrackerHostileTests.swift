import Testing
import VerifyProtocol
@testable import VerifyDaemon

/// The tracker against a destination someone writes to on purpose: future-dated decoys, failing
/// archives removed or pushed out, partial scans. Explicit times, no clock.
struct ArchiveTrackerHostileTests {
    func tracker(keep: Int = 2, maxAge: Double? = nil, tolerance: Double = 3600) -> ArchiveTracker {
        var destination = DestinationConfiguration(name: "d", path: "/d")
        destination.settle = 60
        destination.interval = 86400
        destination.keepVerifying = keep
        destination.maxAge = maxAge
        destination.pollInterval = 30
        destination.futureMtimeTolerance = tolerance
        return ArchiveTracker(settings: .init(destination: destination))
    }

    func file(_ name: String, size: Int64 = 100, mtime: Double) -> ArchiveFile {
        ArchiveFile(path: "/d/" + name, size: size, mtime: mtime, companionsReady: true)
    }

    func found(_ files: [ArchiveFile], limit: Int? = nil) -> ScanOutcome {
        var notes = ScanNotes()
        notes.limitReached = limit
        return .found(archives: files, folders: ["/d"], notes: notes)
    }

    static let year2099 = 4_070_908_800.0

    @Test func futureDatedDecoysNeitherHideAFailingArchiveNorCountAsNewest() {
        var t = tracker(keep: 2)
        let real = file("real.tar", mtime: 1000)
        t.observe(found([real]), at: 1000)
        t.recordRun(path: real.path, .init(size: 100, mtime: 1000, finished: 1100, verdict: .fail))
        #expect(t.state(at: 1100).0 == .failing)

        let decoys = (1...3).map { file("decoy\($0).tar", mtime: Self.year2099) }
        let events = t.observe(found([real] + decoys), at: 2000)
        #expect(events.futureMtimes.map(\.path) == decoys.map(\.path), "each decoy is an anomaly")
        #expect(events.gone.isEmpty)
        for decoy in decoys {
            t.recordRun(path: decoy.path, .init(size: 100, mtime: Self.year2099, finished: 2100, verdict: .pass))
        }
        #expect(t.state(at: 2100).0 == .failing, "newer files never hide it")
        #expect(t.failingArchives == [real.path])
        #expect(!t.tracked.map(\.path).contains(real.path), "pushed out of keep_verifying by decoys seen later")
        #expect(t.verifying.map(\.path).contains(real.path), "and verified all the same")
        #expect(t.due(at: 1100 + 86400).contains { $0.file.path == real.path && $0.trigger == .schedule })
        #expect(t.orderTime(decoys[0]) == 2000, "ordered by when it was first seen")
        #expect(t.observe(found([real] + decoys), at: 2030).futureMtimes.isEmpty, "once per file, not every scan")
    }

    @Test func aFutureMtimeWithinTheToleranceIsNoAnomalyAndANewFutureMtimeIsAnother() {
        var t = tracker(tolerance: 3600)
        #expect(t.observe(found([file("skew.tar", mtime: 1000 + 3600)]), at: 1000).futureMtimes.isEmpty)
        #expect(t.orderTime(file("skew.tar", mtime: 4600)) == 4600)
        #expect(t.observe(found([file("skew.tar", mtime: 1000 + 3601)]), at: 1000).futureMtimes.count == 1)
        #expect(t.observe(found([file("skew.tar", mtime: Self.year2099)]), at: 1010).futureMtimes.count == 1, "touched again")
        // Time passing does not make a known future file "normal" (its order stays its first sight).
        #expect(t.observe(found([file("skew.tar", mtime: Self.year2099)]), at: Self.year2099 + 10).futureMtimes.isEmpty)
        #expect(t.orderTime(file("skew.tar", mtime: Self.year2099)) == 1010)
    }

    @Test func aFutureDatedFileDoesNotKeepADestinationFresh() {
        var t = tracker(maxAge: 86400)
        let old = file("old.tar", mtime: 0)
        t.observe(found([old]), at: 100)
        t.recordRun(path: old.path, .init(size: 100, mtime: 0, finished: 200, verdict: .pass))
        let decoy = file("decoy.tar", mtime: Self.year2099)
        t.observe(found([old, decoy]), at: 50_000)
        t.recordRun(path: decoy.path, .init(size: 100, mtime: Self.year2099, finished: 50_100, verdict: .pass))
        #expect(t.state(at: 50_100).0 == .ok, "first seen at 50,000: fresh for max_age")
        #expect(t.state(at: 50_000 + 86401).0 == .stale, "then stale, whatever its mtime says")
        #expect(t.state(at: 50_000 + 86401).1.contains("1d old"))
    }

    @Test func aRemovedFailingArchiveIsGoneAfterTwoCompleteScansAndThatIsNoRecovery() {
        var t = tracker(keep: 3)
        let bad = file("bad.tar", mtime: 10), good = file("good.tar", mtime: 20)
        t.observe(found([bad, good]), at: 100)
        t.recordRun(path: bad.path, .init(size: 100, mtime: 10, finished: 200, verdict: .fail))
        t.recordRun(path: good.path, .init(size: 100, mtime: 20, finished: 200, verdict: .pass))
        #expect(t.state(at: 200).0 == .failing)

        #expect(t.observe(found([good]), at: 300).gone.isEmpty, "one scan may miss a file being replaced")
        #expect(t.state(at: 300).0 == .failing, "still failing while it may come back")
        #expect(t.observe(found([good], limit: 100), at: 310).gone.isEmpty, "a scan cut short proves nothing")
        #expect(t.observe(.unavailable(reason: "gone"), at: 320).gone.isEmpty, "nor does an unavailable folder")
        let events = t.observe(found([good]), at: 330)
        #expect(events.gone == [.init(path: bad.path, lastVerdict: .fail, wasFailing: true)])
        #expect(t.failingArchives.isEmpty)
        #expect(t.state(at: 330).0 == .ok)
        #expect(t.failureEnd == .removed, "the daemon raises archive_removed, not recovered")
        #expect(t.lastRuns[bad.path] == nil, "forgotten")
        #expect(t.observe(found([good]), at: 340).gone.isEmpty, "reported once")

        // A passing archive that rotates away is gone too (its history is pruned), silently.
        let gone = t.observe(found([]), at: 350).gone + t.observe(found([]), at: 360).gone
        #expect(gone == [.init(path: good.path, lastVerdict: .pass, wasFailing: false)])
    }

    @Test func aScanCutShortKeepsWhatItDidNotReach() {
        var t = tracker(keep: 3)
        let a = file("a.tar", mtime: 10), b = file("b.tar", mtime: 20)
        t.observe(found([a, b]), at: 100)
        t.observe(found([a], limit: 100), at: 200)
        #expect(t.archives.map(\.path) == [b.path, a.path])
    }

    @Test func anArchiveBeingVerifiedIsNeverGone() {
        var t = tracker()
        let a = file("a.tar", mtime: 10)
        t.observe(found([a]), at: 100)
        t.recordRun(path: a.path, .init(size: 100, mtime: 10, finished: 150, verdict: .fail))
        t.markActive(a.path)
        for at in [200.0, 210, 220] { #expect(t.observe(found([]), at: at).gone.isEmpty) }
        t.markInactive(a.path)
        t.observe(found([]), at: 230)
        #expect(t.observe(found([]), at: 240).gone.map(\.path) == [a.path])
    }

    @Test func aFailingArchiveStaysFailingThroughInterruptionsAndReplacementUntilItPasses() {
        var t = tracker()
        let a = file("a.tar", mtime: 10)
        t.observe(found([a]), at: 100)
        t.recordRun(path: a.path, .init(size: 100, mtime: 10, finished: 200, verdict: .error))
        t.recordRun(path: a.path, .init(size: 100, mtime: 10, finished: 300, verdict: .interrupted))
        #expect(t.state(at: 300).0 == .failing, "an interrupted run proves nothing")
        let replaced = file("a.tar", size: 200, mtime: 400)
        t.observe(found([replaced]), at: 400)
        #expect(t.state(at: 400).0 == .failing, "a new copy must pass first")
        #expect(t.due(at: 460).map(\.trigger) == [.arrival])
        t.recordRun(path: a.path, .init(size: 200, mtime: 400, finished: 500, verdict: .pass))
        #expect(t.state(at: 500).0 == .ok)
        #expect(t.failureEnd == .passed)
    }

    @Test func historyRestoresFailuresAndFirstSightsAtStartUp() {
        var t = tracker(keep: 1)
        let bad = file("bad.tar", mtime: 10), decoy = file("decoy.tar", mtime: Self.year2099)
        t.recordRun(path: bad.path, .init(size: 100, mtime: 10, finished: 300, verdict: .interrupted))
        t.recordFailing(path: bad.path)
        t.recordFutureMtime(path: decoy.path, .init(mtime: Self.year2099, firstSeen: 5))
        #expect(t.observe(found([bad, decoy]), at: 1000).futureMtimes.isEmpty, "raised by the previous daemon")
        #expect(t.tracked.map(\.path) == [bad.path], "the decoy counts as made at 5, before bad.tar")
        #expect(t.state(at: 1000).0 == .failing)
    }
}
