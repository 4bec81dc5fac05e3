import ArgumentParser
import VerifyProtocol

/// `verifyctl history [DEST]`: the latest runs.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the latest runs of a destination (or of all), newest first.",
        discussion: """
            One row per run: its id (for verifyctl show), when it started, the verdict, the \
            archive, entries checked, failures, duration and why it ran (arrival, schedule, \
            request, retry). Runs that were cut short by a stop or a crash are interrupted.

            \(DaemonExitStatus.commandHelpText)
            """
    )

    @Argument(help: "The destination (all destinations when omitted).")
    var destination: String?

    @Option(name: .shortAndLong, help: "At most this many runs.")
    var limit: Int = 20

    @OptionGroup var connection: DaemonConnectionOptions

    func validate() throws {
        if limit < 1 || limit > 10_000 { throw ValidationError("--limit must be from 1 to 10000") }
    }

    func run() throws {
        let result = try connection.call(
            .history, HistoryArguments(destination: destination, limit: limit), expecting: HistoryResult.self)
        if connection.json {
            connection.printJSON(result)
            return
        }
        guard !result.runs.isEmpty else {
            Output.out("no runs yet\n")
            return
        }
        var rows = [["RUN", "STARTED", "VERDICT", "DESTINATION", "ARCHIVE", "CHECKED", "FAILURES", "DURATION", "TRIGGER"]]
        for run in result.runs {
            rows.append([
                "\(run.id)", TimeText.timestamp(run.started), run.verdict.description, run.destination,
                String(run.archive.split(separator: "/").last ?? ""), "\(run.entriesChecked)/\(run.entriesSelected)",
                "\(run.failureCount)", NumberText.fixed(run.durationSeconds, 2) + "s", run.trigger,
            ])
        }
        Output.out(TimeText.table(rows))
    }
}
