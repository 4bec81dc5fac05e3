import Testing
@testable import VerifyProtocol

/// How many series one host exports: docs/fleet.md states the count for 10 destinations, each
/// with coverage, a finished run and totals (the most a destination exports).
struct MetricsSeriesCountTests {
    static func destination(_ index: Int) -> DestinationStatus {
        let run = RunSummary(
            id: Int64(index), destination: "d\(index)", archive: "/b/d\(index)/x.tar", archiveSize: 10, archiveMtime: 1, archiveDigest: nil,
            trigger: "arrival", started: 1, finished: 2, verdict: .pass, sample: "all", seed: "1", entriesSeen: 3, entriesSelected: 3,
            entriesChecked: 3, bytesRead: 10, durationSeconds: 1, failureCount: 0, error: nil)
        return DestinationStatus(
            name: "d\(index)", path: "/b/d\(index)", state: .ok, reason: "", archives: 1, newestArchive: "/b/d\(index)/x.tar",
            newestArchiveMtime: 1, lastRun: run, failingArchives: [], nextRun: 3, running: [],
            coverage: CoverageSummary(window: 86400, entries: 3, verified: 3, failed: 0, oldestVerifiedAt: 1, neverVerified: 0, completeBy: nil),
            warnings: [], totals: DestinationTotals(runs: ["pass": 1], readBytes: 10, entriesChecked: 3, alerts: [:], lastPassTime: 2))
    }

    static func samples(destinations: Int) -> Int {
        let status = StatusResult(
            daemon: DaemonInfo(version: "1", pid: 1, started: 0, now: 1, configPath: "/c", running: 0, queued: 0),
            destinations: (0..<destinations).map(destination))
        return MetricsText.render(status).split(separator: "\n").filter { !$0.hasPrefix("#") }.count
    }

    @Test func tenDestinationsExportTheCountTheDocsState() {
        let perDestination = Self.samples(destinations: 2) - Self.samples(destinations: 1)
        #expect(perDestination == 38)
        #expect(Self.samples(destinations: 10) == 386)
    }

    /// Every verdict and every alert kind but `test` is exported from 0, so that the first one
    /// shows in `increase()`; counters are typed as counters.
    @Test func countersStartAtZeroAndAreTypedAsCounters() {
        let text = MetricsText.render(StatusResult(
            daemon: DaemonInfo(version: "1", pid: 1, started: 0, now: 1, configPath: "/c", running: 0, queued: 0),
            destinations: [Self.destination(1)]))
        #expect(text.contains("verifyd_runs_total{destination=\"d1\",verdict=\"fail\"} 0\n"))
        #expect(text.contains("verifyd_runs_total{destination=\"d1\",verdict=\"pass\"} 1\n"))
        #expect(text.contains("verifyd_alerts_total{destination=\"d1\",kind=\"verification_failed\"} 0\n"))
        #expect(!text.contains("kind=\"test\""))
        for family in ["verifyd_runs_total", "verifyd_read_bytes_total", "verifyd_entries_checked_total", "verifyd_alerts_total"] {
            #expect(text.contains("# TYPE \(family) counter\n"))
        }
        #expect(text.contains("verifyd_last_pass_time_seconds{destination=\"d1\"} 2\n"))
    }
}
