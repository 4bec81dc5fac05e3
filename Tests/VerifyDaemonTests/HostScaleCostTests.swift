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
@Suite(.serialized, .timeLimit(.minutes(8)))
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

    @Test func aScanWatchesTheFoldersOfItsOwnDestinationOnly() async throws {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down))
        let (daemon, _) = try await Self.daemon(directory, destinations: 3, archives: 1, clock: clock)
        #expect(await Self.scansEnded(daemon))
        let others = await daemon.watchedFolders.filter { $0.key != "d1" }
        #expect(await daemon.watchedFolders["d1"] == [directory.file("d1")])

        // A subfolder appears in d1: its next scan watches it too, for d1 alone.
        let sub = directory.file("d1") + "/2026-12"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: sub + "/backup-x.tar.gz"))
        let d1 = try #require(await daemon.configured("d1"))
        await daemon.scan(d1)
        #expect(await daemon.watchedFolders["d1"] == [directory.file("d1"), sub])
        #expect(await daemon.folderOwners[sub] == ["d1"])
        #expect(await daemon.watchedFolders.filter { $0.key != "d1" } == others)
        let watcher = try #require(daemon.inotify)
        try Data("y".utf8).write(to: URL(fileURLWithPath: sub + "/backup-y.tar.gz"))
        #expect(await eventually {
            watcher.readEvents()
            return daemon.changes.withLock { $0.folders }.contains(sub)
        }, "the new folder is watched")

        // Gone again: no longer watched, nor owned.
        try FileManager.default.removeItem(atPath: sub)
        #expect(await Self.scansEnded(daemon))
        await daemon.scan(d1)
        #expect(await daemon.watchedFolders["d1"] == [directory.file("d1")])
        #expect(await daemon.folderOwners[sub] == nil)
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

    @Test func theStatusReplyIsTheWholeReplyEncodedAndEncodesOnlyWhatChanged() async throws {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down))
        let (daemon, _) = try await Self.daemon(directory, destinations: 20, archives: 3, clock: clock)
        #expect(await Self.scansEnded(daemon))
        _ = await daemon.turn(at: clock.now)
        await daemon.raise(.test, destination: "d4", summary: "test alert")
        for (id, destination) in [(Int64(7), nil), (nil, nil), (3, "d4")] as [(Int64?, String?)] {
            let arguments = StatusArguments(destination: destination)
            let line = try await daemon.statusReply(arguments, id: id)
            let whole = WireProtocol.line(Reply<StatusResult>.success(id: id, try await daemon.status(arguments)))
            #expect(line == whole, "\(String(decoding: line, as: UTF8.self))")
            let reply = try JSONDecoder().decode(Reply<StatusResult>.self, from: Data(line))
            #expect(reply.id == id && reply.ok)
            #expect(reply.result?.destinations.count == (destination == nil ? 20 : 1))
        }

        let before = await daemon.statusEncodings
        for _ in 0..<10 { _ = try await daemon.statusReply(StatusArguments(destination: nil), id: 1) }
        #expect(await daemon.statusEncodings == before, "ten replies of 20 unchanged destinations encode none again")
        // An alert of d7 changes its counters: d7 alone is encoded again.
        await daemon.raise(.test, destination: "d7", summary: "test alert")
        let line = try await daemon.statusReply(StatusArguments(destination: nil), id: 1)
        #expect(await daemon.statusEncodings == before + 1)
        let reply = try JSONDecoder().decode(Reply<StatusResult>.self, from: Data(line))
        #expect(reply.result?.destinations.first { $0.name == "d7" }?.totals?.alerts["test"] == 1)

        // A queued run of d9: its next run is now, whatever now is. The time moves on, and d9's
        // kept JSON still serves, joined around the new time.
        _ = try await daemon.verify(VerifyArguments(target: directory.file("d9") + "/backup-1.tar.gz"))
        _ = try await daemon.statusReply(StatusArguments(destination: nil), id: 1)
        let queued = await daemon.statusEncodings
        for step in 1...3 {
            clock.advance(0.25 * Double(step))
            let arguments = StatusArguments(destination: nil)
            let line = try await daemon.statusReply(arguments, id: 1)
            let status = try await daemon.status(arguments)
            #expect(status.destinations.first { $0.name == "d9" }?.nextRun == clock.now)
            #expect(line == WireProtocol.line(Reply<StatusResult>.success(id: 1, status)))
        }
        #expect(await daemon.statusEncodings == queued, "only the time changed")
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

    /// What one run of one destination costs the daemon's loop: states evaluated, scans chosen,
    /// archives queued, and the destinations whose `status` is built again.
    struct RunCost: Equatable {
        var evaluations = 0, scans = 0, queued = 0, statusBuilds = 0
    }

    /// A host of `count` destinations of 2 archives each, settled; then one run of one archive of
    /// d1, from its queueing to its end (the real start and finish, with real probes, no worker),
    /// a turn of the loop and a whole-host `status`.
    static func oneRun(destinations count: Int) async throws -> RunCost {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down))
        let (daemon, store) = try await Self.daemon(directory, destinations: count, archives: 2, clock: clock)
        #expect(await Self.scansEnded(daemon))
        #expect(await daemon.turn(at: clock.now).isEmpty)
        #expect(await daemon.trackers.states.count == count, "the first turn evaluates every destination once")
        _ = try await daemon.status(StatusArguments(destination: nil))
        #expect(await daemon.turn(at: clock.now).isEmpty)

        let before = (evaluations: await daemon.trackers.evaluations, builds: await daemon.statusBuilds, runs: try store.runCount())
        let archive = directory.file("d1") + "/backup-0.tar.gz"
        _ = try await daemon.verify(VerifyArguments(target: archive))
        let launches = await daemon.takeLaunches()
        #expect(launches.count == 1)
        let (item, paths) = try #require(launches.first)
        let started = try #require(await daemon.start(item, paths: paths, probe: await ProbeRunner.probe(paths)))
        let result = WorkerResult(
            verdict: .pass, entriesSeen: 1, entriesSelected: 1, entriesChecked: 1, bytesRead: 10, durationSeconds: 0.01,
            archiveDigest: nil, error: nil, failures: [], failureCount: 0)
        await daemon.finish(started, result, probe: await ProbeRunner.probe(paths))
        #expect(try store.runCount() == before.runs + 1)
        var cost = RunCost()
        cost.scans = await daemon.turn(at: clock.now).count
        cost.queued = await daemon.queue.count
        let status = try await daemon.status(StatusArguments(destination: nil))
        #expect(status.destinations.first { $0.name == "d1" }?.lastRun?.archive == archive, "the run shows")
        cost.evaluations = await daemon.trackers.evaluations - before.evaluations
        cost.statusBuilds = await daemon.statusBuilds - before.builds
        return cost
    }

    @Test func aRunCostsTheLoopAndStatusTheSameWithTwentyOrTwoHundredDestinations() async throws {
        let small = try await Self.oneRun(destinations: 20)
        let large = try await Self.oneRun(destinations: 200)
        #expect(small == large, "20 destinations: \(small); 200: \(large)")
        // d1's state at the run's end and at the next turn; d1's status built again, no other.
        #expect(large.evaluations <= 2, "\(large)")
        #expect(large.statusBuilds == 1, "\(large)")
        #expect(large.scans == 0 && large.queued == 0, "\(large)")
    }

    @Test func aStateThatChangesWithTimeAloneIsEvaluatedWhenItComesNotBefore() async throws {
        let directory = TemporaryDirectory("hs")
        let clock = ManualClock(Date().timeIntervalSince1970.rounded(.down) + 60)
        let (daemon, store) = try await Self.daemon(directory, destinations: 5, archives: 1, clock: clock, extra: ["max_age = \"10m\""])
        #expect(await Self.scansEnded(daemon))
        _ = await daemon.turn(at: clock.now)
        let newest = try #require(await daemon.trackers["d0"]?.newest)
        let staleAt = newest.mtime + 600
        #expect(try #require(await daemon.trackers.nextWake) <= staleAt.nextUp, "the loop wakes when the first destination goes stale")
        let settled = await daemon.trackers.evaluations
        #expect(await daemon.turn(at: clock.now).isEmpty)
        #expect(await daemon.trackers.evaluations == settled, "a turn with nothing changed evaluates nothing")

        // Ten minutes and a bit later every destination's newest archive is older than max_age.
        clock.set(staleAt + 30)
        _ = await daemon.turn(at: clock.now)
        #expect(await daemon.trackers.evaluations == settled + 5)
        #expect(await daemon.trackers.stateCounts[.stale] == 5)
        #expect(await daemon.statusLine(at: clock.now).hasPrefix("5 destination(s): 5 stale;"))
        #expect(try store.alerts(after: 0, limit: 100).count == 5, "one stale alert each")
        _ = await daemon.turn(at: clock.now)
        #expect(await daemon.trackers.evaluations == settled + 5, "stale already: nothing more to evaluate with time")
    }
}
