/// The daemon's state as Prometheus metrics, in the text exposition format: what node_exporter's
/// textfile collector reads (the daemon writes it to `metrics_file`) and what `verifyctl metrics`
/// prints. Made from the same status `verifyctl status` shows, so that a restart changes nothing
/// but `verifyd_start_time_seconds`: gauges, and counters whose totals the history keeps.
public enum MetricsText {
    /// The metrics of a status. `up` is false for the file the daemon leaves when it stops.
    public static func render(_ status: StatusResult, up: Bool = true) -> String {
        var text = Output()
        text.family("verifyd_up", "1 while verifyd runs; 0 in the file it leaves when it stops.")
        text.sample("verifyd_up", [], up ? 1 : 0)
        text.family("verifyd_build_info", "The running version.")
        text.sample("verifyd_build_info", [("version", status.daemon.version)], 1)
        text.family("verifyd_start_time_seconds", "When verifyd started (Unix seconds).")
        text.sample("verifyd_start_time_seconds", [], status.daemon.started)
        text.family("verifyd_metrics_time_seconds", "When these metrics were taken (Unix seconds).")
        text.sample("verifyd_metrics_time_seconds", [], status.daemon.now)
        text.family("verifyd_runs_running", "Runs verifying an archive now.")
        text.sample("verifyd_runs_running", [], Double(status.daemon.running))
        text.family("verifyd_runs_queued", "Runs waiting for a free worker.")
        text.sample("verifyd_runs_queued", [], Double(status.daemon.queued))

        let destinations = status.destinations
        func each(_ name: String, _ help: String, _ value: (DestinationStatus) -> Double?) {
            let values = destinations.compactMap { d in value(d).map { (d.name, $0) } }
            guard !values.isEmpty else { return }
            text.family(name, help)
            for (destination, v) in values { text.sample(name, [("destination", destination)], v) }
        }
        if !destinations.isEmpty {
            let name = "verifyd_destination_state"
            text.family(name, "1 for the destination's state (ok, failing, stale, unavailable, pending), 0 for the others.")
            for destination in destinations {
                for state in DestinationState.allCases {
                    text.sample(name, [("destination", destination.name), ("state", state.rawValue)], destination.state == state ? 1 : 0)
                }
            }
        }
        each("verifyd_destination_archives", "Archives found in the destination.") { Double($0.archives) }
        each("verifyd_destination_failing_archives", "Kept archives whose latest run failed or could not verify.") { Double($0.failingArchives.count) }
        each("verifyd_destination_newest_archive_mtime_seconds", "Modification time of the newest archive (Unix seconds): its age is the backup's freshness.") {
            $0.newestArchiveMtime
        }
        each("verifyd_destination_warnings", "Warnings `verifyctl status` shows for the destination (a coverage window the sample cannot meet).") {
            Double($0.warnings.count)
        }
        each("verifyd_destination_next_run_time_seconds", "When the next run is due (Unix seconds).") { $0.nextRun }
        each("verifyd_last_run_finished_time_seconds", "When the destination's latest run ended (Unix seconds).") { $0.lastRun?.finished }
        each("verifyd_last_run_success", "1 if the destination's latest run passed, 0 if it failed, could not verify or was interrupted.") {
            $0.lastRun.map { $0.verdict == .pass ? 1 : 0 }
        }
        each("verifyd_last_run_failures", "Failures the destination's latest run found.") { $0.lastRun.map { Double($0.failureCount) } }
        each("verifyd_last_run_entries_checked", "Entries the destination's latest run checked.") { $0.lastRun.map { Double($0.entriesChecked) } }
        each("verifyd_last_run_read_bytes", "Bytes of the archive the destination's latest run read.") { $0.lastRun.map { Double($0.bytesRead) } }
        each("verifyd_last_run_duration_seconds", "How long the destination's latest run took.") { $0.lastRun?.durationSeconds }
        each("verifyd_coverage_entries", "Entries of the kept archives (sampled destinations and those with a coverage_window).") {
            $0.coverage.map { Double($0.entries) }
        }
        each("verifyd_coverage_verified_entries", "Of those, entries read back good within the coverage window.") { $0.coverage.map { Double($0.verified) } }
        each("verifyd_coverage_failed_entries", "Of those, entries whose latest read failed.") { $0.coverage.map { Double($0.failed) } }
        each("verifyd_coverage_never_verified_entries", "Of those, entries never read back.") { $0.coverage.map { Double($0.neverVerified) } }
        renderTotals(destinations, into: &text)
        return text.lines
    }

    /// Verdicts and alert kinds every destination exports, at 0 until the first one: a series that
    /// appears with its first increase hides that increase from `increase()`.
    static let verdicts = ["pass", "fail", "error", "interrupted"]
    static let alertKinds = AlertKind.allCases.filter { $0 != .test }.map(\.rawValue)

    /// The counters, and the time of each destination's latest passing run.
    private static func renderTotals(_ destinations: [DestinationStatus], into text: inout Output) {
        let totals = destinations.compactMap { d in d.totals.map { (d.name, $0) } }
        guard !totals.isEmpty else { return }
        func counter(_ name: String, _ help: String, _ samples: (String, DestinationTotals) -> [([(String, String)], Double)]) {
            text.family(name, help, type: "counter")
            for (destination, total) in totals {
                for (labels, value) in samples(destination, total) { text.sample(name, [("destination", destination)] + labels, value) }
            }
        }
        counter("verifyd_runs_total", "Finished runs, by verdict.") { _, total in
            (verdicts + total.runs.keys.filter { !verdicts.contains($0) }.sorted()).map { ([("verdict", $0)], Double(total.runs[$0] ?? 0)) }
        }
        counter("verifyd_read_bytes_total", "Bytes of archives read by runs.") { _, total in [([], Double(total.readBytes))] }
        counter("verifyd_entries_checked_total", "Entries checked by runs.") { _, total in [([], Double(total.entriesChecked))] }
        counter("verifyd_alerts_total", "Alerts raised, by kind.") { _, total in
            (alertKinds + total.alerts.keys.filter { !alertKinds.contains($0) }.sorted()).map { ([("kind", $0)], Double(total.alerts[$0] ?? 0)) }
        }
        let passes = totals.compactMap { name, total in total.lastPassTime.map { (name, $0) } }
        guard !passes.isEmpty else { return }
        text.family("verifyd_last_pass_time_seconds", "When the destination's latest passing run ended (Unix seconds).")
        for (destination, time) in passes { text.sample("verifyd_last_pass_time_seconds", [("destination", destination)], time) }
    }

    /// The text, a family at a time.
    private struct Output {
        var lines = ""

        mutating func family(_ name: String, _ help: String, type: String = "gauge") {
            lines += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }

        mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            lines += name
            if !labels.isEmpty {
                lines += "{" + labels.map { "\($0.0)=\"\(MetricsText.escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            lines += " " + MetricsText.number(value) + "\n"
        }
    }

    /// A label value as the format wants it: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Whole numbers without a fraction; times with their milliseconds.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return NumberText.fixed(value, 3)
    }
}
