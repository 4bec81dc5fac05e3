import Foundation
import VerifyProtocol
import VerifyStore

/// What `status` shows of one destination that changes only when its tracker or its history
/// does: its archives, newest archive, failing archives, last run and counters. Kept with the
/// tracker's version it was built from (`TrackerTable.versions`), and dropped when its history
/// changes; the rest (state and reason, next run, runs under way, coverage) depends on the time
/// or on runs in progress and is filled in at each request, in O(1) per destination (O(tracked
/// archives) for sampled ones).
struct KeptStatus: Sendable {
    var trackerVersion: UInt64
    var status: DestinationStatus
}

extension Daemon {
    public func status(_ arguments: StatusArguments) async throws(WireError) -> StatusResult {
        let now = clock()
        var destinations = configuration.destinations
        if let name = arguments.destination {
            guard let destination = configured(name) else { throw unknownDestination(name) }
            destinations = [destination]
        }
        var progress: [String: [RunProgress]] = [:]
        for (id, run) in running {
            progress[run.destination, default: []].append(RunProgress(
                runId: id, archive: run.file.path, started: run.started, entries: run.progress.entries,
                bytesRead: run.progress.bytesRead, archiveSize: run.file.size))
        }
        var statuses: [DestinationStatus] = []
        statuses.reserveCapacity(destinations.count)
        for destination in destinations {
            let tracker = trackers[destination.name] ?? ArchiveTracker(settings: .init(destination: destination))
            var status = try keptStatus(destination, tracker: tracker)
            (status.state, status.reason) = tracker.state(at: now)
            status.nextRun = tracker.nextRun(after: now)
            status.running = progress[destination.name]?.sorted { $0.runId < $1.runId } ?? []
            (status.coverage, status.warnings) = coverageSummary(destination, tracker: tracker, now: now)
            statuses.append(status)
        }
        return StatusResult(
            daemon: DaemonInfo(
                version: Self.version, pid: getpid(), started: startedAt, now: now, configPath: configurationPath,
                running: running.count, queued: queue.count),
            destinations: statuses)
    }

    /// The destination's kept status, built again when its tracker or history changed since.
    func keptStatus(_ destination: DestinationConfiguration, tracker: ArchiveTracker) throws(WireError) -> DestinationStatus {
        let version = trackers.versions[destination.name] ?? 0
        if let kept = statusKept[destination.name], kept.trackerVersion == version, kept.status.path == destination.path {
            return kept.status
        }
        statusBuilds += 1
        let newest = tracker.archives.first
        let status = DestinationStatus(
            name: destination.name, path: destination.path, state: .pending, reason: "",
            archives: tracker.archives.count, newestArchive: newest?.path, newestArchiveMtime: newest?.mtime,
            lastRun: try latestRun(destination.name), failingArchives: tracker.failingArchives, nextRun: nil,
            running: [], totals: try totals(destination.name))
        statusKept[destination.name] = KeptStatus(trackerVersion: version, status: status)
        return status
    }

    /// A run of the destination started, ended, or had its hold end, or history was pruned: what
    /// `status` shows of its runs is read again when next asked.
    func historyChanged(_ name: String) {
        latestRunShown[name] = nil
        totalsChanged(name)
    }

    /// The destination's counters changed (a run, an alert): read again when next asked.
    func totalsChanged(_ name: String) {
        totalsShown[name] = nil
        statusKept[name] = nil
    }

    /// The destination's counters, as kept in `totalsShown` (read from history when not kept).
    func totals(_ name: String) throws(WireError) -> DestinationTotals {
        if let kept = totalsShown[name] { return kept }
        do {
            let totals = DestinationTotals(try store.counters(destination: name))
            totalsShown[name] = totals
            return totals
        } catch {
            throw WireError(.internalError, error.description)
        }
    }

    /// The destination's newest run, as kept in `latestRunShown` (read from history when not kept).
    func latestRun(_ name: String) throws(WireError) -> RunSummary? {
        if let kept = latestRunShown[name] { return kept }
        do {
            // A failing verdict still held is not shown (nor exported as a metric) before it counts.
            let run = try store.latestRunNotHeld(destination: name).map(RunSummary.init)
            latestRunShown[name] = .some(run)
            return run
        } catch {
            throw WireError(.internalError, error.description)
        }
    }
}
