import Foundation
import Logging
import Testing
import VerifyProtocol
import VerifyStore
import VerifyTestSupport

@testable import VerifyDaemon

/// Issue 20: what one inotify event and one `status` cost does not grow with the host. An event
/// in one destination's folder scans that destination again, not every one; `status` of the
/// whole host reads no history once what it shows is kept, and after a change reads only the
/// changed destination's. Counted (scans chosen, history reads), not timed.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct HostScaleCostTests {
    /// A daemon of `count` destinations d0, d1 ... (each with `archives` archive files), whose
    /// loop is not running: the test drives it step by step with a clock it sets.
    static func daemon(
        _ directory: TemporaryDirectory, destinations count: Int, archives: Int, clock: ManualClock, extra: [String] = [],
        scan: Bool = true
    ) async throws -> (Daemon, HistoryStore) {
        var lines = ["state_directory = \"\(directory.file("state"))\"", "socket = \"\(directory.file("ctl.sock"))\""]
        for d in 0..<count {
            let folder = directory.file("d\(d)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for a in 0..<archives { try Data("\(d)/\(a)".utf8).write(to: URL(fileURLWithPath: folder + "/backup-\(a).tar.gz")) }
            lines += ["", "[[destination]]", "name = \"d\(d)\"", "path = \"\(folder)\"", "poll_interval = \"1h\""] + extra
        }
        let configuration = try ConfigurationLoader.parse(lines.joined(separator: "\n") + "\n", file: directory.file("verifyd.toml"))
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        let store = try HistoryStore(path: configuration.stateDirectory + "/history.sqlite")
        let daemon = try Daemon(
            configurationPath: directory.file("verifyd.toml"), configuration: configuration, store: store,
            notifier: SystemdNotifier(environment: [:]), logger: Logger(label: "verifyd.test"),
            workerExecutable: Tool.verifyd, clock: clock.function)
        try await daemon.prepare()
        // The first scans, as the loop starts them (`scansAtOnce` at a time).
        while scan, await daemon.trackers.values.contains(where: { $0.scan == nil }) {
            let due = await daemon.destinationsToScan(at: clock.now)
            #expect(due.count <= Daemon.scansAtOnce)
            for destination in due { await daemon.scan(destination) }
            await Task.yield()
        }
        return (daemon, store)
    }

    /// Waits until no scan thread of the daemon is still ending (reported back asynchronously).
    static func scansEnded(_ daemon: Daemon) async -> Bool {
        await eventually { await daemon.scansInFlight.isEmpty }
    }

    @Test func changedFoldersNameTheDestinationsThatOwnThem() {
        // /b/shared lies in both a (whose path is /b) and s (whose path is /b/shared).
        let owners = FolderChanges.owners(["a": ["/b", "/b/x", "/b/shared"], "s": ["/b/shared"], "c": ["/c"]])
        var changes = FolderChanges()
        #expect(changes.isEmpty)
        changes.note(.folders(["/b/x"]))
        #expect(changes.destinations(owners: owners) == ["a"])
        changes.note(.folders(["/b/shared", "/gone"]))
        #expect(changes.destinations(owners: owners) == ["a", "s"], "a folder no scan visits names no destination")
        changes.destinations.insert("c")
        #expect(changes.destinations(owners: owners) == ["a", "s", "c"])
        changes.note(.unknown)
        #expect(changes.destinations(owners: owners) == nil, "an overflow names every destination")
    }

    @Test func anEventInOneFolderScansOnlyItsDestinationAgain() async throws {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down))
        let (daemon, _) = try await Self.daemon(directory, destinations: 5, archives: 3, clock: clock)
        #expect(await Self.scansEnded(daemon))
        #expect(await daemon.trackers.values.map(\.archives.count) == [3, 3, 3, 3, 3])
        #expect(await daemon.destinationsToScan(at: clock.now).isEmpty, "no poll is due and nothing changed")

        // A real inotify event: a file lands in d3.
        try Data("new".utf8).write(to: URL(fileURLWithPath: directory.file("d3") + "/backup-new.tar.gz"))
        let watcher = try #require(daemon.inotify)
        #expect(await eventually {
            watcher.readEvents()
            return !daemon.changes.withLock { $0.isEmpty }
        }, "inotify reported the change")
        #expect(daemon.changes.withLock { $0.folders } == [directory.file("d3")])
        let rescanned = await daemon.destinationsToScan(at: clock.now)
        #expect(rescanned.map(\.name) == ["d3"], "only the destination that changed is scanned again")
        for destination in rescanned { await daemon.scan(destination) }
        #expect(await daemon.trackers["d3"]?.archives.count == 4)

        // A change inotify could not place (its queue overflowed) scans everything again.
        #expect(await Self.scansEnded(daemon))
        daemon.changes.withLock { $0.note(.unknown) }
        let first = await daemon.destinationsToScan(at: clock.now)
        #expect(first.count == min(5, Daemon.scansAtOnce))
        #expect(await daemon.rescansOwed.count == 5 - first.count, "those without a scan thread now are owed one")
    }

    @Test func aFileThatLandsBeforeTheFirstScanOfItsDestinationIsSeen() async throws {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down))
        let (daemon, _) = try await Self.daemon(directory, destinations: 3, archives: 1, clock: clock, scan: false)
        // Watched from the start: scans go 4 at a time, and a file landing while the first scan
        // of its destination lists the folder must still wake another.
        #expect(await daemon.folderOwners[directory.file("d2")] == ["d2"])
        try Data("new".utf8).write(to: URL(fileURLWithPath: directory.file("d2") + "/backup-new.tar.gz"))
        let watcher = try #require(daemon.inotify)
        #expect(await eventually {
            watcher.readEvents()
            return daemon.changes.withLock { $0.folders } == [directory.file("d2")]
        })
    }

    @Test func statusOfTheWholeHostReadsNoHistoryOnceWhatItShowsIsKept() async throws {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down))
        let (daemon, store) = try await Self.daemon(directory, destinations: 20, archives: 5, clock: clock)
        let first = try await daemon.status(StatusArguments(destination: nil))
        #expect(first.destinations.count == 20)
        #expect(first.destinations.map(\.archives) == Array(repeating: 5, count: 20))

        let before = store.reads
        for _ in 0..<10 { _ = try await daemon.status(StatusArguments(destination: nil)) }
        #expect(store.reads == before, "ten statuses of 20 destinations read no history")

        // An alert of d7 changes its counters: the next status reads d7's, and only d7's.
        await daemon.raise(.test, destination: "d7", summary: "test alert")
        let afterAlert = store.reads
        let status = try await daemon.status(StatusArguments(destination: nil))
        #expect(store.reads == afterAlert + 1, "one read: the counters of the destination that changed")
        #expect(status.destinations.first { $0.name == "d7" }?.totals?.alerts["test"] == 1)

        // A run's record (its start and end) makes that destination's runs and counters read again.
        await daemon.historyChanged("d2")
        let afterRun = store.reads
        _ = try await daemon.status(StatusArguments(destination: nil))
        #expect(store.reads == afterRun + 2, "two reads: d2's latest run and counters")
    }

    @Test func statusOfSampledDestinationsReadsEachArchivesCoverageOnceUntilItChanges() async throws {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down))
        let (daemon, _) = try await Self.daemon(
            directory, destinations: 3, archives: 40, clock: clock, extra: ["sample = 2", "keep_verifying = 40", "interval = \"1d\"", "coverage_window = \"7d\""])
        let first = try await daemon.status(StatusArguments(destination: nil))
        #expect(first.destinations.allSatisfy { $0.coverage != nil }, "sampled destinations show their coverage")
        #expect(await daemon.coverageKept["d1"]?.archivesRead == 40)

        for _ in 0..<10 { _ = try await daemon.status(StatusArguments(destination: nil)) }
        await daemon.evaluateCoverageRisk("d1")
        #expect(await daemon.coverageKept["d1"]?.archivesRead == 40, "ten statuses and a run's end read no archive's coverage again")

        // A run of one archive changed its coverage: that archive alone is read again.
        let archive = directory.file("d1") + "/backup-7.tar.gz"
        await daemon.coverageChanged("d1", archive: archive)
        _ = try await daemon.status(StatusArguments(destination: "d1"))
        #expect(await daemon.coverageKept["d1"]?.archivesRead == 41)

        // The window's start moved on by more than the slack: every archive is counted again.
        clock.advance(KeptCoverage.slack + 1)
        _ = try await daemon.status(StatusArguments(destination: "d1"))
        #expect(await daemon.coverageKept["d1"]?.archivesRead == 40, "read again from the new start")
    }
}
