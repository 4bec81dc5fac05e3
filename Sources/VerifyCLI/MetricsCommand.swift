import ArgumentParser
import VerifyProtocol

/// `verifyctl metrics`: the daemon's state as Prometheus metrics.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the daemon's state as Prometheus metrics (text exposition format).",
        discussion: """
            The same gauges verifyd writes to its metrics_file (default: metrics.prom beside the \
            control socket, /run/verifyd/metrics.prom) for node_exporter's textfile collector: \
            verifyd_up, verifyd_destination_state{destination,state}, \
            verifyd_destination_newest_archive_mtime_seconds, verifyd_last_run_success, \
            verifyd_last_run_failures, verifyd_coverage_*_entries and more, each with its # HELP.

            Alerting examples: verifyd_destination_state{state="ok"} == 0; \
            time() - verifyd_destination_newest_archive_mtime_seconds > 26 * 3600.

            Exit status: 0 printed; 3 verifyd is unreachable; 4 verifyd refused the request.
            """
    )

    @Option(help: ArgumentHelp(
        "The daemon's control socket (default: $VERIFYD_SOCKET, else \(DaemonConnectionOptions.defaultSocket)).", valueName: "path"))
    var socket: String?

    func run() throws {
        let connection = try DaemonConnectionOptions.parse(socket.map { ["--socket", $0] } ?? [])
        let result = try connection.call(
            .status, StatusArguments(destination: nil), expecting: StatusResult.self, refusedStatus: DaemonExitStatus.refused)
        Output.out(MetricsText.render(result))
    }
}
