import Foundation
import VerifyProtocol
import VerifyStore

/// `report`: each destination's state, runs, failures and coverage over a window, bounded by
/// `ReportBounds` whatever the history holds.
extension Daemon {
    public func report(_ arguments: ReportArguments) async throws(WireError) -> ReportResult {
        let now = clock()
        let since = max(arguments.since ?? now - 30 * 86_400, now - ReportBounds.maxWindow)
        var destinations = configuration.destinations
        if let names = arguments.destinations, !names.isEmpty {
            destinations = []
            for name in names {
                guard let destination = configured(name) else { throw unknownDestination(name) }
                if !destinations.contains(where: { $0.name == name }) { destinations.append(destination) }
            }
        }
        var reports: [DestinationReport] = []
        var runBudget = ReportBounds.runsPerReply
        var failureBudget = ReportBounds.failingRunsPerReply
        do {
            for destination in destinations {
                let report = try destinationReport(
                    destination, since: since, now: now, runBudget: runBudget, failureBudget: failureBudget)
                runBudget -= report.runs.count
                failureBudget -= report.failures.count
                reports.append(report)
            }
        } catch {
            throw WireError(.internalError, error.description)
        }
        return ReportResult(generated: now, since: since, version: Self.version, destinations: reports)
    }

    private func destinationReport(
        _ destination: DestinationConfiguration, since: Double, now: Double, runBudget: Int, failureBudget: Int
    ) throws(StoreError) -> DestinationReport {
        let tracker = trackers[destination.name] ?? ArchiveTracker(settings: .init(destination: destination))
        let (state, reason) = tracker.state(at: now)
        let limit = max(0, min(ReportBounds.runsPerDestination, runBudget))
        // With no budget left the count is still taken: the page says how many runs it lacks.
        let finished = try store.finishedRuns(destination: destination.name, since: since, limit: limit)
        let failingLimit = max(0, min(ReportBounds.failingRunsPerDestination, failureBudget))
        let failing = try store.failingRuns(destination: destination.name, since: since, limit: failingLimit)
        var failures: [ReportFailure] = []
        for record in failing.runs {
            let findings = try store.failures(runID: record.id ?? 0, limit: ReportBounds.findingsPerRun)
            failures.append(ReportFailure(
                run: ReportRun(record), error: AlertBounds.cut(record.error, to: 2 * ReportBounds.textBytes),
                findings: findings.map { ReportBounds.bounded(FailureSummary($0)) }))
        }
        let (coverage, _) = coverageSummary(destination, tracker: tracker, now: now)
        return DestinationReport(
            name: destination.name, path: destination.path, state: state, reason: AlertBounds.cut(reason, to: ReportBounds.textBytes),
            maxAge: destination.maxAge, shrinkAlert: destination.shrinkAlert, archives: tracker.archives.count,
            coverage: coverage, runs: finished.runs.reversed().map(ReportRun.init), runsOmitted: finished.total - finished.runs.count,
            failures: failures, failuresOmitted: failing.total - failing.runs.count)
    }
}

extension ReportRun {
    init(_ record: RunRecord) {
        self.init(
            id: record.id ?? 0, archive: AlertBounds.cut(record.archivePath, to: ReportBounds.textBytes), archiveSize: record.archiveSize,
            archiveMtime: record.archiveMtime, started: record.started, finished: record.finished ?? record.started,
            verdict: RunVerdict(record.verdict), entriesSeen: record.entriesSeen, entriesChecked: record.entriesChecked,
            failureCount: record.failureCount)
    }
}
