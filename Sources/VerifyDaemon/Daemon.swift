import ArchiveReading
import Foundation
import Logging
import Synchronization
import VerifyCore
import VerifyProtocol
import VerifyStore

/// The daemon's state and its loop: scans destinations, starts worker processes for the
/// archives that are due (at most `concurrency` at once), records every run in history, and
/// answers the control socket. One actor owns all of it; workers and sockets run on threads of
/// their own and report back here.
public actor Daemon {
    public static let version = VerifydRelease.version

    let configurationPath: String
    var configuration: DaemonConfiguration {
        didSet { destinationsByName = Self.byName(configuration) }
    }
    /// The configured destinations by name (`configured(_:)`): found in O(1), not by a walk.
    var destinationsByName: [String: DestinationConfiguration]
    let store: HistoryStore
    public nonisolated let alertFeed: AlertFeed
    /// The last state recorded for each destination (alerts go out on changes).
    var knownStates: [String: String] = [:]
    let notifier: SystemdNotifier
    let logger: Logger
    let workerExecutable: String
    let startedAt: Double
    let clock: @Sendable () -> Double

    var trackers = TrackerTable()
    /// Each destination's newest run not held, as `status` shows it: read from history once and
    /// kept until a run of the destination starts, ends, or its hold ends (nil: no run yet).
    var latestRunShown: [String: RunSummary?] = [:]
    /// Each destination's counters (runs by verdict, alerts by kind, bytes and entries read), as
    /// `status` and the metrics show them: read from history once and kept until they change.
    var totalsShown: [String: DestinationTotals] = [:]
    /// What `status` shows of each destination that changes only with its tracker or history,
    /// built again only after one of them changed (see `Daemon+Status.swift`).
    var statusKept: [String: KeptStatus] = [:]
    /// How many times a destination's kept status was built (tests count them).
    var statusBuilds = 0
    /// Each destination's status as last encoded for a `status` reply, and how many times one
    /// was encoded (`Daemon+StatusReply.swift`).
    var statusEncoded: [String: EncodedStatus] = [:]
    var statusEncodings = 0
    /// Sampled destinations' coverage per tracked archive (`status`, `coverage_at_risk`).
    var coverageKept: [String: KeptCoverage] = [:]
    var queue = RunQueue()
    var running: [Int64: RunningRun] = [:]
    /// Requests waiting for an archive's run to end (`verify --wait`).
    var waiters: [String: [AsyncStream<RunSummary?>.Continuation]] = [:]
    var lastPrune: Double = 0
    var lastWatchdog: Double = 0
    var lastStatusLine = ""
    /// Passes of the loop so far: a test that moves the injected clock waits for two more (the
    /// one under way may have read the time before the move).
    var loopPasses: UInt64 = 0
    /// The metrics file: when it was last written, whether something changed since, and the
    /// last error writing it (logged once, not at every write).
    var metricsWritten: Double = 0
    var metricsWrittenInstant: ContinuousClock.Instant?
    var metricsDirty = true
    var metricsError: String?
    /// Runs being probed before they start (they count against `concurrency`).
    var launching: Set<String> = []
    /// Failing verdicts held until their archive is still, by run id; and those being confirmed.
    var held: [Int64: HeldRun] = [:]
    var confirming: Set<Int64> = []
    /// Destinations where the open-for-writing check could not answer (logged once each).
    var writerCheckBlind: Set<String> = []
    /// Destinations whose scan thread has not returned yet.
    var scansInFlight: Set<String> = []
    /// Scans whose outcome has not come back yet (at most `scansAtOnce`).
    var scansAwaited = 0
    /// Destinations that changed while their scan was under way: scanned again when it ends.
    var rescansOwed: Set<String> = []
    /// The last skipped-entries notice logged per destination (logged again only when it changes).
    var scanNotices: [String: String] = [:]
    nonisolated let wake = WakeSignal()
    nonisolated let shutdownRequested = Atomic<Bool>(false)
    /// Set by inotify (and by runs that found their archive changing): what changed since the
    /// loop last looked.
    nonisolated let changes = Mutex<FolderChanges>(FolderChanges())
    /// Which destinations each watched folder belongs to (from their last scans).
    var folderOwners: [String: Set<String>] = [:]
    /// The folders watched for each destination (its own, and those its last scan visited).
    var watchedFolders: [String: Set<String>] = [:]
    nonisolated(unsafe) var inotify: InotifyWatcher?

    struct QueuedRun: Sendable {
        var destination: String
        var file: ArchiveFile
        var trigger: RunTrigger
    }

    struct RunningRun: Sendable {
        var destination: String
        var file: ArchiveFile
        var started: Double
        var worker: WorkerProcess
        var progress: WorkerProgress
    }

    /// The actor runs on the history's own thread: its SQLite calls never block the
    /// cooperative pool.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { HistoryExecutor.shared.asUnownedSerialExecutor() }

    public init(
        configurationPath: String, configuration: DaemonConfiguration, store: HistoryStore, notifier: SystemdNotifier,
        logger: Logger, workerExecutable: String, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws(StoreError) {
        alertFeed = try AlertFeed(store: store)
        self.configurationPath = configurationPath
        self.configuration = configuration
        destinationsByName = Self.byName(configuration)
        self.store = store
        self.notifier = notifier
        self.logger = logger
        self.workerExecutable = workerExecutable
        self.clock = clock
        startedAt = clock()
    }

    /// Asks the loop to stop: running workers are killed and their runs recorded `interrupted`.
    public nonisolated func requestShutdown() {
        shutdownRequested.store(true, ordering: .relaxed)
        wake.signal()
    }

    /// Records runs a previous daemon left unfinished, loads what history knows, and sets up
    /// the trackers. Called once before the socket opens.
    public func prepare() throws(DaemonError) {
        do {
            let interrupted = try store.markUnfinishedRunsInterrupted(
                at: clock(), reason: "verifyd stopped while this run was in progress (found at the next start)")
            if interrupted > 0 { logger.warning("runs left unfinished by a previous verifyd recorded as interrupted", metadata: ["count": "\(interrupted)"]) }
            knownStates = try store.destinationStates()
        } catch {
            throw DaemonError(error.description)
        }
        removeLeftoverScratch()
        rebuildTrackers()
        loadHeldRuns()
        // The writer check's read lease, dropped at once, may still be broken by a writer's open:
        // the kernel then signals SIGIO, whose default action would end the daemon.
        signal(SIGIO, SIG_IGN)
        inotify = InotifyWatcher { [self] change in
            self.changes.withLock { $0.note(change) }
            self.wake.signal()
        }
        refreshWatches()
    }

    func rebuildTrackers() {
        for name in Set(trackers.byName.keys).subtracting(destinationsByName.keys) { trackers.removeValue(forKey: name) }
        for destination in configuration.destinations {
            var tracker = trackers[destination.name] ?? ArchiveTracker(settings: .init(destination: destination))
            tracker.settings = .init(destination: destination)
            if trackers[destination.name] == nil {
                do {
                    // A held verdict is not a verdict yet (`loadHeldRuns` takes it up).
                    for run in try store.latestRunPerArchive(destination: destination.name) where !run.held {
                        tracker.recordRun(path: run.archivePath, .init(
                            size: run.archiveSize, mtime: run.archiveMtime, finished: run.finished, verdict: run.verdict))
                    }
                    for path in try store.failingArchives(destination: destination.name) { tracker.recordFailing(path: path) }
                    for future in try store.futureMtimes(destination: destination.name) {
                        tracker.recordFutureMtime(path: future.archive, .init(mtime: future.mtime, firstSeen: future.firstSeen))
                    }
                } catch {
                    logger.error("cannot read history", metadata: ["destination": "\(destination.name)", "error": "\(error)"])
                }
            }
            trackers[destination.name] = tracker
        }
        // A reload may change what is sampled and the window.
        coverageKept = [:]
    }

    /// The loop: runs until `requestShutdown()`.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !shutdownRequested.load(ordering: .relaxed) {
                let now = clock()
                for destination in turn(at: now) {
                    group.addTask { await self.scan(destination) }
                }
                for (item, paths) in takeLaunches() {
                    group.addTask { await self.launch(item, paths: paths) }
                }
                for hold in dueHolds(at: now) {
                    group.addTask { await self.confirm(hold) }
                }
                housekeeping(at: now)
                await writeMetricsIfDue(at: now)
                loopPasses &+= 1
                await wake.wait(seconds: sleepSeconds(at: clock()))
            }
            notifier.stopping()
            logger.info("stopping", metadata: ["running": "\(running.count)"])
            await writeMetrics(up: false)
            for run in running.values { run.worker.kill(because: .interrupted("interrupted: verifyd was stopped during the run")) }
            // Scans still waiting on a slow filesystem are abandoned; killed workers end at once.
            group.cancelAll()
        }
        for (path, list) in waiters {
            for waiter in list { waiter.yield(nil) }
            waiters[path] = nil
        }
        inotify?.stop()
    }

    /// The loop's bookkeeping on each turn: the archives due are queued, the states of the
    /// destinations that changed (or whose state changes with time) evaluated, and the
    /// destinations owed a scan returned. Each costs what changed or came due, not a walk of
    /// every destination (HostScaleCostTests counts them).
    func turn(at now: Double) -> [DestinationConfiguration] {
        let scans = destinationsToScan(at: now)
        enqueueDue(at: now)
        evaluateStates(trackers.takeChanged(at: now))
        return scans
    }

    /// The queued runs that may start now (at most `concurrency` at once), with the paths their
    /// settling probes look at.
    func takeLaunches() -> [(QueuedRun, [String])] {
        var launches: [(QueuedRun, [String])] = []
        while running.count + launching.count < configuration.concurrency, let item = queue.popFirst() {
            launching.insert(item.file.path)
            launches.append((item, settlingPaths(item.file.path, destination: item.destination)))
        }
        return launches
    }

    /// Seconds until something may be due, the next watchdog ping, or a minute.
    func sleepSeconds(at now: Double) -> Double {
        var wake = now + 60
        if let next = trackers.nextWake { wake = min(wake, next) }
        for hold in held.values where !confirming.contains(hold.id) { wake = min(wake, hold.until) }
        if let interval = notifier.watchdogInterval { wake = min(wake, lastWatchdog + interval) }
        var seconds = min(max(wake - now, 0.05), 60)
        if metricsDirty, configuration.metricsFile != nil { seconds = min(seconds, max(metricsGapLeft(), 0.05)) }
        return seconds
    }

    /// Queues the archives due now, of the destinations that have one (the table keeps when).
    func enqueueDue(at now: Double) {
        for name in trackers.takeDue(at: now) {
            guard var tracker = trackers.removeValue(forKey: name) else { continue }
            for (file, trigger) in tracker.due(at: now) {
                tracker.markActive(file.path)
                queue.append(QueuedRun(destination: name, file: file, trigger: trigger))
            }
            trackers[name] = tracker
        }
    }

    func housekeeping(at now: Double) {
        if let interval = notifier.watchdogInterval, now - lastWatchdog >= interval * 0.9 {
            notifier.watchdog()
            lastWatchdog = now
        }
        let line = statusLine(at: now)
        if line != lastStatusLine {
            notifier.status(line)
            lastStatusLine = line
        }
        if now - lastPrune >= 3600 {
            lastPrune = now
            for destination in configuration.destinations {
                do {
                    let pruned = try store.prune(destination: destination.name, finishedBefore: now - destination.historyRetention)
                    historyChanged(destination.name)
                    coverageKept[destination.name] = nil
                    if pruned > 0 { logger.info("history pruned", metadata: ["destination": "\(destination.name)", "runs": "\(pruned)"]) }
                    let orphans = try store.pruneOrphanedCoverage(destination: destination.name)
                    if orphans > 0 { logger.info("coverage of archives no longer kept pruned", metadata: ["destination": "\(destination.name)", "rows": "\(orphans)"]) }
                } catch {
                    logger.error("cannot prune history", metadata: ["error": "\(error)"])
                }
            }
            // Alerts are kept as long as the longest run history (sequence numbers are never reused).
            let retention = configuration.destinations.map(\.historyRetention).max() ?? DestinationConfiguration(name: "", path: "").historyRetention
            do {
                let pruned = try store.pruneAlerts(before: now - retention)
                if pruned > 0 { logger.info("alert log pruned", metadata: ["alerts": "\(pruned)"]) }
            } catch {
                logger.error("cannot prune the alert log", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One line for `systemctl status`, from the states the table keeps counted (a destination
    /// not evaluated yet is pending).
    func statusLine(at now: Double) -> String {
        var counts = trackers.stateCounts
        counts[.pending, default: 0] += max(configuration.destinations.count - trackers.states.count, 0)
        let states = DestinationState.allCases.compactMap { state in counts[state].flatMap { $0 > 0 ? "\($0) \(state.rawValue)" : nil } }
        let summary = states.isEmpty ? "no destinations" : states.joined(separator: ", ")
        return "\(configuration.destinations.count) destination(s): \(summary); \(running.count) running, \(queue.count) queued"
    }

    /// The configured destination of that name.
    func configured(_ name: String) -> DestinationConfiguration? { destinationsByName[name] }

    static func byName(_ configuration: DaemonConfiguration) -> [String: DestinationConfiguration] {
        Dictionary(configuration.destinations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
