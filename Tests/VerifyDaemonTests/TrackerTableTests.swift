import Testing
import VerifyProtocol
@testable import VerifyDaemon

/// Issue 20: what the daemon's loop asks of every destination on each turn is kept as trackers
/// change (`TrackerTable`, `KeyedDeadlines`), so that a turn costs what changed or came due.
struct TrackerTableTests {
    @Test func deadlinesGiveTheEarliestAndTakeOnlyThoseThatCame() {
        var deadlines = KeyedDeadlines()
        #expect(deadlines.earliest == nil)
        deadlines.set("a", 30)
        deadlines.set("b", 10)
        deadlines.set("c", 20)
        #expect(deadlines.earliest == 10)
        deadlines.set("b", 40)  // moved later: its old entry is stale
        #expect(deadlines.earliest == 20)
        deadlines.set("c", nil)
        #expect(deadlines.earliest == 30)
        #expect(deadlines.take(atOrBefore: 29).isEmpty)
        #expect(deadlines.take(atOrBefore: 30) == ["a"])
        #expect(deadlines.times == ["b": 40], "a taken is cleared until set again")
        deadlines.set("a", 35)
        #expect(deadlines.take(atOrBefore: 100) == ["a", "b"], "earliest first")
        #expect(deadlines.earliest == nil)
    }

    @Test func manyChangesOfOneKeyKeepTheHeapSmall() {
        var deadlines = KeyedDeadlines()
        for i in 0..<10_000 { deadlines.set("k\(i % 3)", Double(10_000 - i)) }
        #expect(deadlines.times.count == 3)
        #expect(deadlines.earliest == 1)
        #expect(deadlines.take(atOrBefore: 3).sorted() == ["k0", "k1", "k2"])
    }

    static func tracker(poll: Double = 60) -> ArchiveTracker {
        var destination = DestinationConfiguration(name: "d", path: "/d")
        destination.pollInterval = poll
        destination.settle = 10
        return ArchiveTracker(settings: .init(destination: destination))
    }

    @Test func aChangedTrackerIsNotedWithItsPollAndDueTimes() {
        var table = TrackerTable()
        table["a"] = Self.tracker()
        table["b"] = Self.tracker(poll: 300)
        #expect(Set(table.takeChanged(at: 0)) == ["a", "b"])
        #expect(table.takeChanged(at: 0).isEmpty, "taken")
        #expect(Set(table.takePolls(at: 0)) == ["a", "b"], "never scanned: owed a scan at once")

        let file = ArchiveFile(path: "/d/x.tar", size: 1, mtime: 100, companionsReady: true)
        table["a"]?.observe(.found(archives: [file], folders: [], notes: ScanNotes()), at: 100)
        #expect(table.takeChanged(at: 100) == ["a"])
        #expect(table.polls.times["a"] == 160)
        #expect(table.due.times["a"] == 110, "settled 10 s after it was first seen")
        #expect(table.nextWake == 110)
        #expect(table.takeDue(at: 109).isEmpty)
        #expect(table.takeDue(at: 110) == ["a"])
        table["a"]?.markActive(file.path)
        #expect(table.due.times["a"] == nil, "queued: nothing more due")

        table.removeValue(forKey: "b")
        #expect(table.takeChanged(at: 100).sorted() == ["a", "b"])
        #expect(table.polls.times["b"] == nil)
    }

    @Test func statesAreCountedAsTheyAreNoted() {
        var table = TrackerTable()
        table.noteState("a", .ok, changesAt: nil)
        table.noteState("b", .ok, changesAt: 50)
        table.noteState("c", .pending, changesAt: nil)
        #expect(table.stateCounts == [.ok: 2, .pending: 1])
        table.noteState("b", .stale, changesAt: nil)
        table.noteState("c", nil, changesAt: nil)
        #expect(table.stateCounts.filter { $0.value > 0 } == [.ok: 1, .stale: 1])
        #expect(table.evaluations == 5)
        table.noteState("a", .ok, changesAt: 20)
        #expect(table.takeChanged(at: 19).isEmpty)
        #expect(table.takeChanged(at: 20) == ["a"], "its state changes with time then")
    }
}
