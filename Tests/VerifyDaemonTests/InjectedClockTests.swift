import Foundation
import Logging
import Testing
import VerifyProtocol
import VerifyStore
import VerifyTestSupport

@testable import VerifyDaemon

/// The real `Daemon` in this process with a clock the test moves by hand: `settle`, `interval`
/// and `max_age` are met to the millisecond, with no waiting for them. Everything else is real:
/// the destination folder and its scans, `verifyd worker` processes, a SQLite file.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct InjectedClockTests {
    /// A daemon whose loop runs in a task of this test.
    final class InProcessDaemon: Sendable {
        let clock: ManualClock
        let daemon: Daemon
        let store: HistoryStore
        let loop: Task<Void, Never>

        init(_ directory: TemporaryDirectory, destination: [String], clock: ManualClock) async throws {
            let text = (["state_directory = \"\(directory.file("state"))\"", "socket = \"\(directory.file("ctl.sock"))\"", "", "[[destination]]"]
                + destination).joined(separator: "\n") + "\n"
            let configuration = try ConfigurationLoader.parse(text, file: directory.file("verifyd.toml"))
            try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
            self.clock = clock
            store = try HistoryStore(path: configuration.stateDirectory + "/history.sqlite")
            daemon = try Daemon(
                configurationPath: directory.file("verifyd.toml"), configuration: configuration, store: store,
                notifier: SystemdNotifier(environment: [:]), logger: Logger(label: "verifyd.test"),
                workerExecutable: Tool.verifyd, clock: clock.function)
            try await daemon.prepare()
            let daemon = self.daemon
            loop = Task { await daemon.run() }
        }

        /// Waits until the loop has gone round twice more: the pass under way may have read the
        /// time before the test moved it, the next one cannot have.
        func passes() async {
            let before = await daemon.loopPasses
            let done = await eventually {
                daemon.wake.signal()
                return await daemon.loopPasses >= before + 2
            }
            #expect(done, "the loop did not go round")
        }

        /// Sets the clock and waits for two passes of the loop.
        func set(_ time: Double) async {
            clock.set(time)
            await passes()
        }

        /// Finished runs, oldest first.
        func finishedRuns() throws -> [RunRecord] {
            try store.runs(destination: nil, limit: 100).filter { $0.finished != nil }.sorted { $0.id ?? 0 < $1.id ?? 0 }
        }

        /// Waits for `count` finished runs (the worker is a real process: real time).
        func waitForRuns(_ count: Int) async throws -> [RunRecord] {
            _ = await eventually(seconds: 120) { (try? self.finishedRuns().count) == count }
            return try finishedRuns()
        }

        /// Nothing queued, probing or running, and no run in history beyond `count`.
        func idle(runs count: Int) async throws -> Bool {
            let busy = await daemon.queue.count + daemon.running.count + daemon.launching.count
            let runs = try store.runCount()
            return busy == 0 && runs == count
        }

        func state() async throws -> DestinationState? {
            try await daemon.status(StatusArguments(destination: "d")).destinations.first?.state
        }

        func stop() async {
            daemon.requestShutdown()
            await loop.value
        }
    }

    /// An archive and its manifest in `backups`, modified at `mtime` (whole seconds).
    static func archive(_ directory: TemporaryDirectory, mtime: Double) throws -> String {
        let backups = directory.file("backups")
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let archive = try DaemonFixtures.archive("etc.tar.gz", in: backups, work: directory)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: mtime)], ofItemAtPath: archive)
        return archive
    }

    static func destination(_ directory: TemporaryDirectory, _ extra: [String]) -> [String] {
        ["name = \"d\"", "path = \"\(directory.file("backups"))\"", "poll_interval = \"1m\""] + extra
    }

    @Test func anArchiveRunsExactlyWhenItHasSettledThenEveryInterval() async throws {
        let directory = TemporaryDirectory("vc")
        let t0 = Date().timeIntervalSince1970.rounded(.down)
        let archive = try Self.archive(directory, mtime: t0 - 60)
        let d = try await InProcessDaemon(
            directory, destination: Self.destination(directory, ["settle = \"10m\"", "interval = \"1d\""]), clock: ManualClock(t0))
        #expect(await eventually { await d.daemon.trackers["d"]?.archives.count == 1 }, "the first scan finds the archive")
        await d.passes()
        #expect(try await d.idle(runs: 0), "not settled at the scan")

        await d.set(t0 + 600 - 0.001)
        #expect(try await d.idle(runs: 0), "not settled 1 ms before settle")
        d.clock.set(t0 + 600)
        let first = try await d.waitForRuns(1)
        #expect(first.map(\.archivePath) == [archive])
        #expect(first.first?.trigger == "arrival")
        #expect(first.first?.verdict == .pass)
        #expect(first.first?.started == t0 + 600, "started at the settle time, by the injected clock")
        #expect(first.first?.finished == t0 + 600)

        await d.set(t0 + 600 + 86400 - 0.001)
        #expect(try await d.idle(runs: 1), "not due 1 ms before the interval")
        d.clock.set(t0 + 600 + 86400)
        let both = try await d.waitForRuns(2)
        #expect(both.last?.trigger == "schedule")
        #expect(both.last?.started == t0 + 600 + 86400)
        await d.stop()
    }

    @Test func aDestinationTurnsStaleOneMillisecondPastMaxAge() async throws {
        let directory = TemporaryDirectory("vc")
        let t0 = Date().timeIntervalSince1970.rounded(.down)
        _ = try Self.archive(directory, mtime: t0)
        let d = try await InProcessDaemon(
            directory, destination: Self.destination(directory, ["settle = \"1s\"", "interval = \"30d\"", "max_age = \"2h\""]),
            clock: ManualClock(t0))
        #expect(await eventually { await d.daemon.trackers["d"]?.archives.count == 1 })
        d.clock.set(t0 + 1)
        _ = try await d.waitForRuns(1)
        await d.passes()
        #expect(try await d.state() == .ok)

        await d.set(t0 + 7200)
        #expect(try await d.state() == .ok, "exactly max_age old is not stale")
        #expect(try Self.alertKinds(d.store) == [])
        await d.set(t0 + 7200 + 0.001)
        #expect(try await d.state() == .stale)
        #expect(try Self.alertKinds(d.store) == ["stale"], "the change of state is alerted once, at once")
        await d.set(t0 + 7200 + 60)
        #expect(try Self.alertKinds(d.store) == ["stale"], "and not again while it lasts")
        await d.stop()
    }

    @Test func anArchiveWithoutItsManifestWaitsTenSettleTimesThenRunsAsAnErrorNamingIt() async throws {
        let directory = TemporaryDirectory("vc")
        let t0 = Date().timeIntervalSince1970.rounded(.down)
        _ = try Self.archive(directory, mtime: t0 - 60)
        let d = try await InProcessDaemon(
            directory, destination: Self.destination(directory, ["settle = \"10m\"", "manifest = \"{dir}/{stem}.mtree\""]),
            clock: ManualClock(t0))
        #expect(await eventually { await d.daemon.trackers["d"]?.archives.count == 1 })
        // Settled at 10 min; its manifest is awaited for max(1 h, 10 × settle) = 100 min more.
        await d.set(t0 + 600)
        #expect(try await d.idle(runs: 0), "settled, but its manifest may still come")
        await d.set(t0 + 600 + 6000 - 0.001)
        #expect(try await d.idle(runs: 0), "1 ms before the grace ends")
        d.clock.set(t0 + 600 + 6000)
        let runs = try await d.waitForRuns(1)
        #expect(runs.first?.verdict == .error)
        #expect(runs.first?.error?.contains("etc.mtree: manifest not found") == true, "\(runs.first?.error ?? "")")
        #expect(runs.first?.started == t0 + 6600)
        // A failing verdict counts (and is alerted) only once the archive stayed still for settle.
        await d.set(t0 + 6600 + 600 - 0.001)
        #expect(try Self.alertKinds(d.store) == [], "held 1 ms before settle")
        #expect(try d.store.run(id: runs.first?.id ?? 0)?.heldUntil == t0 + 7200)
        d.clock.set(t0 + 7200)
        #expect(try await eventually { try Self.alertKinds(d.store) == ["verification_error"] }, "confirmed at settle")
        #expect(try await eventually { try await d.state() == .failing })
        await d.stop()
    }

    static func alertKinds(_ store: HistoryStore) throws -> [String] {
        try store.alerts(after: 0, limit: 100).compactMap { item in
            (try? JSONDecoder().decode(Alert.self, from: Data(item.payload.utf8)))?.kind.rawValue
        }
    }
}
