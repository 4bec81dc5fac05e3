import Testing
import VerifyProtocol
@testable import VerifyDaemon

/// The scheduling state machine, driven with explicit times: no sleeping.
struct ArchiveTrackerTests {
    func tracker(settle: Double = 60, interval: Double = 86400, keep: Int = 2, maxAge: Double? = nil) -> ArchiveTracker {
        var destination = DestinationConfiguration(name: "d", path: "/d")
        destination.settle = settle
        destination.interval = interval
        destination.keepVerifying = keep
        destination.maxAge = maxAge
        destination.pollInterval = 30
        return ArchiveTracker(settings: .init(destination: destination))
    }

    func file(_ name: String, size: Int64 = 100, mtime: Double = 1000, ready: Bool = true) -> ArchiveFile {
        ArchiveFile(path: "/d/" + name, size: size, mtime: mtime, companionsReady: ready)
    }

    func found(_ files: ArchiveFile...) -> ScanOutcome { .found(archives: files, folders: ["/d"]) }

    @Test func aNewArchiveIsDueOnlyAfterItSettles() {
        var t = tracker()
        t.observe(found(file("a.tar", size: 10)), at: 1000)
        #expect(t.due(at: 1000).isEmpty)
        #expect(t.nextWake(after: 1000) == 1030, "the next poll comes first")
        t.observe(found(file("a.tar", size: 20, mtime: 1040)), at: 1040)
        #expect(t.due(at: 1099).isEmpty, "growth restarts the settle time")
        t.observe(found(file("a.tar", size: 20, mtime: 1040)), at: 1070)
        #expect(t.nextWake(after: 1070) == 1100)
        #expect(t.due(at: 1100).map(\.trigger) == [.arrival])
        #expect(t.state(at: 1100).0 == .pending)
    }

    @Test func aMissingManifestHoldsTheRunBackThenItRunsAnyway() {
        var t = tracker()
        t.observe(found(file("a.tar", ready: false)), at: 0)
        #expect(t.due(at: 61).isEmpty)
        #expect(t.due(at: 60 + t.settings.companionGrace).count == 1, "after the grace period it is verified (and reported)")
        t.observe(found(file("a.tar", ready: true)), at: 100)
        #expect(t.due(at: 100).count == 1, "the manifest appearing does not restart the settle time")
    }

    @Test func passedArchivesComeBackOnTheirInterval() {
        var t = tracker()
        t.observe(found(file("a.tar")), at: 0)
        t.recordRun(path: "/d/a.tar", .init(size: 100, mtime: 1000, finished: 100, verdict: .pass))
        #expect(t.due(at: 200).isEmpty)
        #expect(t.nextRun(after: 200) == 86_500)
        #expect(t.due(at: 86_500).map(\.trigger) == [.schedule])
        #expect(t.state(at: 200).0 == .ok)
    }

    @Test func aReplacedArchiveIsANewArrivalAndInterruptedRunsAreRetried() {
        var t = tracker()
        t.observe(found(file("a.tar")), at: 0)
        t.recordRun(path: "/d/a.tar", .init(size: 100, mtime: 1000, finished: 100, verdict: .pass))
        t.observe(found(file("a.tar", size: 200, mtime: 2000)), at: 200)
        #expect(t.due(at: 260).map(\.trigger) == [.arrival])
        t.recordRun(path: "/d/a.tar", .init(size: 200, mtime: 2000, finished: 300, verdict: .interrupted))
        #expect(t.due(at: 300).map(\.trigger) == [.retry])
    }

    @Test func onlyTheNewestArchivesAreKeptAndActiveOnesAreNotQueuedTwice() {
        var t = tracker(keep: 2)
        t.observe(found(file("1.tar", mtime: 1), file("2.tar", mtime: 2), file("3.tar", mtime: 3)), at: 0)
        #expect(Set(t.due(at: 100).map(\.file.path)) == ["/d/3.tar", "/d/2.tar"])
        t.markActive("/d/3.tar")
        #expect(t.due(at: 100).map(\.file.path) == ["/d/2.tar"])
    }

    @Test func statesInOrderOfPrecedence() {
        var t = tracker(maxAge: 3600)
        #expect(t.state(at: 0).0 == .pending, "not scanned yet")
        t.observe(.found(archives: [], folders: ["/d"]), at: 0)
        #expect(t.state(at: 0).0 == .stale, "no archive at all")
        t.observe(found(file("a.tar", mtime: 0), file("b.tar", mtime: 10)), at: 20)
        #expect(t.state(at: 20).0 == .pending)
        t.recordRun(path: "/d/a.tar", .init(size: 100, mtime: 0, finished: 30, verdict: .fail))
        t.recordRun(path: "/d/b.tar", .init(size: 100, mtime: 10, finished: 30, verdict: .pass))
        #expect(t.state(at: 30).0 == .failing)
        #expect(t.failingArchives == ["/d/a.tar"])
        t.recordRun(path: "/d/a.tar", .init(size: 100, mtime: 0, finished: 40, verdict: .pass))
        #expect(t.state(at: 40).0 == .ok)
        #expect(t.state(at: 4000).0 == .stale)
        #expect(t.state(at: 4000).1.contains("max_age 1h"))
        t.observe(.unavailable(reason: "/d: No such file or directory"), at: 4000)
        #expect(t.state(at: 4000) == (.unavailable, "/d: No such file or directory"))
    }
}

/// An archive that is not still: its settle time starts again, and the destination says why.
struct ArchiveTrackerStillnessTests {
    func tracker() -> ArchiveTracker {
        var destination = DestinationConfiguration(name: "d", path: "/d")
        destination.settle = 60
        destination.pollInterval = 30
        return ArchiveTracker(settings: .init(destination: destination))
    }

    @Test func anArchiveOpenForWritingWaitsAnotherSettleAndSaysWhy() {
        var t = tracker()
        let file = ArchiveFile(path: "/d/a.tar", size: 100, mtime: 1000, companionsReady: true)
        t.observe(.found(archives: [file], folders: ["/d"]), at: 1000)
        #expect(t.due(at: 1060).count == 1)
        t.restartSettle("/d/a.tar", because: "/d/a.tar is still being written", at: 1060)
        #expect(t.due(at: 1119).isEmpty)
        #expect(t.state(at: 1100).0 == .pending)
        #expect(t.state(at: 1100).1 == "/d/a.tar is still being written")
        t.observe(.found(archives: [file], folders: ["/d"]), at: 1090)
        #expect(t.due(at: 1119).isEmpty, "an unchanged scan does not bring the old settle time back")
        #expect(t.due(at: 1120).count == 1)
        t.markActive("/d/a.tar")
        #expect(t.state(at: 1120).1 == "1 archive(s) not verified yet", "a run started: the reason is gone")
        t.wait("/d/a.tar", because: "held")
        t.markInactive("/d/a.tar")
        #expect(t.waiting.isEmpty, "a hold that ended says nothing any more")
        t.wait("/d/a.tar", because: "held")
        t.observe(.found(archives: [], folders: ["/d"]), at: 1130)
        #expect(t.waiting.isEmpty, "a removed archive waits for nothing")
    }
}
