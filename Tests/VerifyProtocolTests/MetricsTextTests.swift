import Testing
import VerifyProtocol

/// The metrics text: one HELP and TYPE per family, every state of every destination, label
/// values escaped, families left out where no destination has a value.
struct MetricsTextTests {
    static let status = StatusResult(
        daemon: DaemonInfo(version: "0.3.0", pid: 42, started: 1_795_000_000, now: 1_795_000_123.5, configPath: "/etc/verifyd/verifyd.toml", running: 1, queued: 2),
        destinations: [
            DestinationStatus(
                name: "nightly", path: "/srv/backups/nightly", state: .failing, reason: "1 of the newest 2 archive(s) failed", archives: 2,
                newestArchive: "/srv/backups/nightly/b.tar", newestArchiveMtime: 1_794_999_000,
                lastRun: RunSummary(
                    id: 7, destination: "nightly", archive: "/srv/backups/nightly/b.tar", archiveSize: 10, archiveMtime: 1_794_999_000,
                    archiveDigest: nil, trigger: "arrival", started: 1_795_000_001, finished: 1_795_000_003.25, verdict: .fail, sample: "all",
                    seed: "1", entriesSeen: 5, entriesSelected: 5, entriesChecked: 5, bytesRead: 10_240, durationSeconds: 2.25,
                    failureCount: 3, error: nil),
                failingArchives: ["/srv/backups/nightly/b.tar"], nextRun: nil, running: [],
                coverage: CoverageSummary(window: nil, entries: 100, verified: 40, failed: 3, oldestVerifiedAt: nil, neverVerified: 57, completeBy: nil)),
            DestinationStatus(
                name: "odd\"name\\x", path: "/srv/odd", state: .pending, reason: "", archives: 0, newestArchive: nil, newestArchiveMtime: nil,
                lastRun: nil, failingArchives: [], nextRun: nil, running: []),
        ])

    @Test func familiesSamplesAndEscaping() {
        let text = MetricsText.render(Self.status)
        let lines = text.split(separator: "\n").map(String.init)
        let types = lines.filter { $0.hasPrefix("# TYPE ") }
        #expect(Set(types).count == types.count, "one TYPE per family")
        #expect(types.allSatisfy { $0.hasSuffix(" gauge") })
        #expect(lines.contains("verifyd_up 1"))
        #expect(lines.contains("verifyd_build_info{version=\"0.3.0\"} 1"))
        #expect(lines.contains("verifyd_metrics_time_seconds 1795000123.500"))
        #expect(lines.contains("verifyd_runs_queued 2"))
        #expect(lines.contains("verifyd_destination_state{destination=\"nightly\",state=\"failing\"} 1"))
        #expect(lines.contains("verifyd_destination_state{destination=\"nightly\",state=\"ok\"} 0"))
        #expect(lines.filter { $0.hasPrefix("verifyd_destination_state{") }.count == 2 * DestinationState.allCases.count)
        #expect(lines.contains("verifyd_destination_state{destination=\"odd\\\"name\\\\x\",state=\"pending\"} 1"))
        #expect(lines.contains("verifyd_last_run_success{destination=\"nightly\"} 0"))
        #expect(lines.contains("verifyd_last_run_failures{destination=\"nightly\"} 3"))
        #expect(lines.contains("verifyd_last_run_finished_time_seconds{destination=\"nightly\"} 1795000003.250"))
        #expect(lines.contains("verifyd_coverage_never_verified_entries{destination=\"nightly\"} 57"))
        // The pending destination has no run: no sample, rather than a made-up 0.
        #expect(!lines.contains { $0.hasPrefix("verifyd_last_run_success{destination=\"odd") })
        #expect(!text.contains("verifyd_destination_next_run_time_seconds"), "no destination has one")
        #expect(MetricsText.render(Self.status, up: false).contains("verifyd_up 0\n"))
    }
}
