import ArgumentParser
import Foundation
import VerifyProtocol

/// `verifyctl report [DEST...] --html FILE | --json [--since 30d]`: the history at a glance.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a report of the destinations' history: one HTML page, or JSON.",
        discussion: """
            Per destination: a calendar of days (pass, fail, error, stale, no run), the state \
            now and why, archive sizes and entry counts over time (a shrinking backup shows), \
            coverage, and the failures of the window, each with its `verifyctl show` command. \
            The page is one self-contained file (inline style and SVG, no script, nothing \
            fetched), to open from a mail attachment or a file share. Days are counted in \
            local time ($TZ). --json prints the same data, with the days and series derived.

            EXIT STATUS
              0   written
              2   the page could not be written (the message says why)
              3   verifyd is unreachable (not running, wrong --socket, no permission)
              4   verifyd refused the request (unknown destination)
              64  usage: bad command line
            """
    )

    @Argument(help: "Destinations to report on (default: all).")
    var destinations: [String] = []

    @Option(help: ArgumentHelp("Write the HTML page to this file ('-': stdout).", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("How far back: 30d, 2w, 12h or seconds (at most 400d).", valueName: "duration"))
    var since = "30d"

    @OptionGroup var connection: DaemonConnectionOptions

    func validate() throws {
        guard html != nil || connection.json else { throw ValidationError("give --html FILE, --json, or both") }
        if html == "-", connection.json { throw ValidationError("--html - and --json cannot both write to stdout") }
        if case .failure(let error) = ReportWindow.seconds(since) { throw ValidationError(error.description) }
        if let html, html.isEmpty { throw ValidationError("--html needs a file name") }
    }

    func run() throws {
        let window = (try? ReportWindow.seconds(since).get()) ?? 30 * 86_400
        let arguments = ReportArguments(destinations: destinations.isEmpty ? nil : destinations, since: Date().timeIntervalSince1970 - window)
        let reply = try connection.call(.report, arguments, expecting: ReportResult.self)
        let report = reply.derived(timeZone: .current)
        if connection.json { connection.printJSON(report) }
        guard let html else { return }
        let page = ReportPage.render(report)
        if html == "-" {
            Output.out(page)
            return
        }
        do {
            try ReportFile.write(page, to: html, destinations: report.destinations.map(\.path))
        } catch {
            Output.err("verifyctl: \(error.description.printable)\n")
            throw ExitCode(ExitStatus.error)
        }
        if !connection.json {
            Output.out("report of \(report.destinations.count) destination\(report.destinations.count == 1 ? "" : "s") since "
                + "\(TimeText.timestamp(report.since)) written to \(html.printable)\n")
        }
    }
}
