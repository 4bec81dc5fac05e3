import ArgumentParser
import VerifyProtocol

/// `verifyctl status [DEST]`: the state of every destination, as a monitoring check.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the state of the destinations (usable as a Nagios/Icinga check).",
        discussion: """
            The first line is a Nagios-style summary; then one row per destination: its state, \
            the newest archive and its age, the last verdict and when, how many archives fail, \
            and when the next run is due.

            States: ok (the newest archives passed), failing (an archive failed or could not be \
            verified), stale (the newest archive is older than max_age, or there is none), \
            unavailable (the folder is missing or unreadable), pending (not verified yet).

            \(DaemonExitStatus.statusHelpText)
            """
    )

    @Argument(help: "Only this destination.")
    var destination: String?

    @Flag(help: "Draw the status again every --interval seconds until interrupted (Ctrl-C), as watch does, with running runs' progress.")
    var watch = false

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("With --watch: seconds between redraws.", valueName: "seconds"))
    var interval: Double = 2

    @OptionGroup var connection: DaemonConnectionOptions

    func validate() throws {
        if !(interval >= 0.1 && interval <= 86_400) { throw ValidationError("--interval must be from 0.1 to 86400 seconds") }
        if watch, connection.json { throw ValidationError("--watch and --json exclude each other") }
    }

    func run() throws {
        if watch { StatusWatch.run(socketPath: connection.socketPath, destination: destination, seconds: interval) }
        let result = try connection.call(
            .status, StatusArguments(destination: destination), expecting: StatusResult.self,
            refusedStatus: DaemonExitStatus.unknown, monitoringLine: true)
        var status = Self.exitStatus(result.destinations.map(\.state))
        if status == DaemonExitStatus.ok, result.destinations.contains(where: { !$0.warnings.isEmpty }) { status = DaemonExitStatus.warning }
        if connection.json {
            connection.printJSON(result)
        } else {
            Output.out(Self.render(result))
        }
        throw ExitCode(status)
    }

    static func exitStatus(_ states: [DestinationState]) -> Int32 {
        if states.contains(where: { $0 == .failing || $0 == .unavailable }) { return DaemonExitStatus.critical }
        if states.contains(where: { $0 == .stale || $0 == .pending }) { return DaemonExitStatus.warning }
        return DaemonExitStatus.ok
    }

    static func render(_ result: StatusResult) -> String {
        let now = result.daemon.now
        let states = result.destinations.map(\.state)
        var level = exitStatus(states)
        if level == DaemonExitStatus.ok, result.destinations.contains(where: { !$0.warnings.isEmpty }) { level = DaemonExitStatus.warning }
        let word = ["OK", "WARNING", "CRITICAL"][Int(level)]
        var counts: [String] = []
        var perfdata: [String] = []
        for state in [DestinationState.failing, .unavailable, .stale, .pending, .ok] {
            let count = states.filter { $0 == state }.count
            if count > 0 { counts.append("\(count) \(state.rawValue)") }
            perfdata.append("\(state.rawValue)=\(count)")
        }
        var text = "VERIFYD \(word): \(counts.isEmpty ? "no destinations" : counts.joined(separator: ", ")) | \(perfdata.joined(separator: " "))\n"
        guard !result.destinations.isEmpty else { return text }
        var rows = [["DESTINATION", "STATE", "NEWEST ARCHIVE", "AGE", "LAST RUN", "FAILING", "NEXT RUN"]]
        for d in result.destinations {
            let newest = d.newestArchive.map { String($0.split(separator: "/").last ?? "") } ?? "-"
            let age = d.newestArchiveMtime.map { TimeText.span(now - $0) } ?? "-"
            let last = d.lastRun.map { run in
                run.verdict == .running ? "running" : "\(run.verdict) \(TimeText.ago(run.finished ?? run.started, now: now))"
            } ?? "never"
            let next = d.running.isEmpty ? (d.nextRun.map { TimeText.until($0, now: now) } ?? "-") : "running"
            rows.append([d.name, d.state.rawValue, newest, age, last, "\(d.failingArchives.count)", next])
        }
        text += TimeText.table(rows)
        for d in result.destinations where d.state != .ok {
            text += "\(d.name.printable): \(d.reason.printable)\n"
            for path in d.failingArchives { text += "  failing: \(path.printable)\n" }
        }
        for d in result.destinations {
            if let coverage = d.coverage { text += "\(d.name.printable): coverage: \(CoverageText.line(coverage))\n" }
            for warning in d.warnings { text += "\(d.name.printable): warning: \(warning.printable)\n" }
        }
        for d in result.destinations {
            for run in d.running {
                let share = run.archiveSize > 0 ? " (\(Int(Double(run.bytesRead) * 100 / Double(run.archiveSize)))%)" : ""
                text += "\(d.name.printable): run \(run.runId) verifying \(run.archive.printable): \(run.entries) entries, \(NumberText.bytes(run.bytesRead)) of \(NumberText.bytes(run.archiveSize))\(share)\n"
            }
        }
        return text
    }
}
