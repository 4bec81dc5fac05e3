import Foundation
import VerifyProtocol
import VerifyStore

extension Daemon: ControlBackend {
    public func history(_ arguments: HistoryArguments) async throws(WireError) -> HistoryResult {
        let limit = min(max(arguments.limit ?? 20, 1), 10_000)
        do {
            let runs = try store.runs(destination: arguments.destination, limit: limit)
            if let name = arguments.destination, runs.isEmpty, configured(name) == nil {
                throw unknownDestination(name)
            }
            return HistoryResult(runs: runs.map(RunSummary.init))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(.internalError, "\(error)")
        }
    }

    public func show(_ arguments: ShowArguments) async throws(WireError) -> ShowResult {
        do {
            guard let run = try store.run(id: arguments.run) else {
                throw WireError(.unknownRun, "no run \(arguments.run) in history (see verifyctl history)")
            }
            return ShowResult(run: RunSummary(run), failures: try store.failures(runID: arguments.run).map(FailureSummary.init))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(.internalError, "\(error)")
        }
    }

    public func verify(_ arguments: VerifyArguments) async throws(WireError) -> VerifyResult {
        if shutdownRequested.load(ordering: .relaxed) { throw WireError(.shuttingDown, "verifyd is stopping") }
        var targets: [(String, ArchiveFile)] = []
        let folder = arguments.target.hasPrefix("/") ? (arguments.target as NSString).standardizingPath : nil
        if let destination = configured(arguments.target)
            ?? configuration.destinations.first(where: { $0.path == folder }) {
            let scan = await ScanRunner.scan(destination, threadEnded: {})
            takeScan(destination.name, scan)
            if case .unavailable(let reason) = scan { throw WireError(.unknownArchive, "destination \(destination.name) is unavailable: \(reason)") }
            let tracked = trackers[destination.name]?.verifying ?? []
            guard !tracked.isEmpty else { throw WireError(.unknownArchive, "destination \(destination.name) has no archive to verify") }
            targets = tracked.map { (destination.name, $0) }
        } else if arguments.target.hasPrefix("/") {
            let path = (arguments.target as NSString).standardizingPath
            guard let destination = configuration.destinations.first(where: { path.hasPrefix($0.path + "/") }) else {
                throw WireError(.unknownArchive, "\(path) is not inside any configured destination")
            }
            // Not through a symlink: scans would never find it under that name (issue 13 §2), and
            // the worker would refuse it (O_NOFOLLOW).
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw WireError(.unknownArchive, "\(path): not an existing regular file (a symlink is not followed here: name the file it points to)")
            }
            let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            targets = [(destination.name, ArchiveFile(path: path, size: Int64(info.st_size), mtime: mtime, companionsReady: true))]
        } else {
            throw WireError(.unknownDestination, "\"\(arguments.target)\" is neither a configured destination nor an absolute archive path")
        }
        for (destination, file) in targets {
            let busy = queue.contains(path: file.path) || running.values.contains { $0.file.path == file.path }
                || launching.contains(file.path)
            if !busy {
                trackers[destination]?.markActive(file.path)
                queue.pushFront(QueuedRun(destination: destination, file: file, trigger: .request))
            }
        }
        wake.signal()
        let paths = targets.map(\.1.path)
        guard arguments.wait == true else { return VerifyResult(queued: paths, runs: nil) }
        // Register for every archive before waiting: runs may end in any order.
        let (stream, continuation) = AsyncStream<RunSummary?>.makeStream()
        for path in paths { waiters[path, default: []].append(continuation) }
        var runs: [RunSummary] = []
        var ended = 0
        for await summary in stream {
            if let summary { runs.append(summary) }
            ended += 1
            if ended == paths.count { break }
        }
        runs.sort { $0.id < $1.id }
        return VerifyResult(queued: paths, runs: runs)
    }

    public func reload() async throws(WireError) -> ReloadResult {
        notifier.reloading()
        defer { notifier.ready(status: statusLine(at: clock())) }
        let next: DaemonConfiguration
        do {
            next = try ConfigurationLoader.load(path: configurationPath)
            try TrustedKeyFiles.validate(next, file: configurationPath)
            try DecryptionKeyFiles.validate(next, file: configurationPath)
        } catch {
            logger.error("reload refused; the old configuration stays in force", metadata: ["error": "\(error)"])
            throw WireError(.reloadFailed, "\(error.description); the old configuration stays in force")
        }
        if next.socketPath != configuration.socketPath || next.stateDirectory != configuration.stateDirectory
            || next.socketGroup != configuration.socketGroup || next.adminGroup != configuration.adminGroup
        {
            logger.warning("socket, socket_group, admin_group and state_directory changes take effect at the next start")
        }
        var applied = next
        applied.socketPath = configuration.socketPath
        applied.stateDirectory = configuration.stateDirectory
        applied.socketGroup = configuration.socketGroup
        applied.adminGroup = configuration.adminGroup
        configuration = applied
        rebuildTrackers()
        refreshWatches()
        queue.removeAll { item in
            let gone = configured(item.destination) == nil
            if gone { finishWithoutRun(item.file.path, destination: item.destination) }
            return gone
        }
        logger.info("configuration reloaded", metadata: ["destinations": "\(configuration.destinations.count)"])
        wake.signal()
        return ReloadResult(destinations: configuration.destinations.map(\.name))
    }

    public func alerts(_ arguments: AlertsArguments) async throws(WireError) -> AlertsResult {
        let limit = min(max(arguments.limit ?? 100, 1), 10_000)
        do {
            let rows = try store.alerts(after: max(arguments.since ?? 0, 0), limit: limit)
            let decoder = JSONDecoder()
            // An alert stored before alerts were bounded goes out bounded (AlertBounds).
            let alerts = try rows.map { row in
                let alert = try decoder.decode(Alert.self, from: Data(row.payload.utf8))
                return row.payload.utf8.count > AlertBounds.maxEncodedBytes ? alert.bounded() : alert
            }
            return AlertsResult(alerts: alerts, last: try store.lastAlertSeq())
        } catch let error as StoreError {
            throw WireError(.internalError, error.description)
        } catch {
            throw WireError(.internalError, "a stored alert cannot be read: \(error)")
        }
    }

    public func testAlert() async throws(WireError) -> TestAlertResult {
        guard let seq = raise(.test, destination: configuration.destinations.first?.name ?? "-", summary: "test alert from verifyd: alerts reach you") else {
            throw WireError(.internalError, "the alert could not be written to the log")
        }
        return TestAlertResult(seq: seq)
    }

    public func lastAlertSeq() async -> Int64 { alertFeed.lastSeq }

    func unknownDestination(_ name: String) -> WireError {
        let known = configuration.destinations.map(\.name).joined(separator: ", ")
        return WireError(.unknownDestination, "no destination \"\(name)\" (configured: \(known.isEmpty ? "none" : known))")
    }
}
