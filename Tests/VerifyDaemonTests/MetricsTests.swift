import Foundation
import Testing
import VerifyTestSupport

/// The metrics file end to end: written beside the socket after a run, read by Prometheus' own
/// parser, left with verifyd_up 0 at a stop; `verifyctl metrics` prints the same families.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct MetricsTests {
    /// The samples of a metrics text as Prometheus' parser (prometheus_client) reads them:
    /// "name{label=value,...} value" lines, labels sorted. Throws if it does not parse.
    static func parse(_ text: String) throws -> Set<String> {
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                assert family.type == 'gauge' or (family.type == 'counter' and family.name + '_total' in [s.name for s in family.samples]), family.name
                for s in family.samples:
                    labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))
                    print('%s{%s} %g' % (s.name, labels, s.value))
            """
        let result = try Tool.run(
            ["/usr/bin/python3", "-c", script], input: Array(text.utf8),
            environment: ["PYTHONPATH": Tool.repositoryRoot + "/.build/python"])
        guard result.status == 0 else { throw ToolError(description: "the metrics do not parse: \(result.stderr)") }
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    @Test func theFileIsWrittenAfterARunAndSaysDownAtTheStop() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("nightly", path: backups)]
        try daemon.start()
        let metricsFile = daemon.directory.file("metrics.prom")
        try DaemonFixtures.archive("etc.tar.gz", in: backups, work: daemon.directory)
        var samples: Set<String> = []
        #expect(waitUntil(seconds: 20) {
            samples = (try? Self.parse((try? String(contentsOfFile: metricsFile, encoding: .utf8)) ?? "")) ?? []
            return samples.contains("verifyd_last_run_success{destination=nightly} 1")
        }, "\(samples.sorted())\n\(daemon.log_)")
        #expect(samples.contains("verifyd_up{} 1"))
        // The counters, read as counters by Prometheus' parser.
        #expect(samples.contains("verifyd_runs_total{destination=nightly,verdict=pass} 1"), "\(samples.sorted())")
        #expect(samples.contains("verifyd_runs_total{destination=nightly,verdict=fail} 0"))
        #expect(samples.contains("verifyd_entries_checked_total{destination=nightly} 26"))
        #expect(samples.contains { $0.hasPrefix("verifyd_last_pass_time_seconds{destination=nightly} ") })
        #expect(samples.contains("verifyd_destination_state{destination=nightly,state=ok} 1"))
        #expect(samples.contains("verifyd_destination_archives{destination=nightly} 1"))
        #expect(samples.contains { $0.hasPrefix("verifyd_destination_newest_archive_mtime_seconds{destination=nightly} ") })
        // No temporary file is left beside it.
        #expect(!FileManager.default.fileExists(atPath: metricsFile + ".tmp"))

        let printed = try daemon.ctl(["metrics"])
        #expect(printed.status == 0, "\(printed.stderr)")
        let fromCommand = try Self.parse(printed.stdout)
        #expect(fromCommand.contains("verifyd_destination_state{destination=nightly,state=ok} 1"))
        #expect(Set(fromCommand.map { String($0.prefix { $0 != "{" }) }) == Set(samples.map { String($0.prefix { $0 != "{" }) }))

        #expect(daemon.signal(SIGTERM) == 0)
        let last = try Self.parse(String(contentsOfFile: metricsFile, encoding: .utf8))
        #expect(last.contains("verifyd_up{} 0"))
        // Without a daemon, `verifyctl metrics` says so and exits 3, like `status`.
        #expect(try daemon.ctl(["metrics"]).status == 3)
    }
}
