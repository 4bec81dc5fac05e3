import ArgumentParser
import VerifyProtocol

/// `verifyctl coverage DEST [ARCHIVE]`: how much of the kept archives has been read back.
struct CoverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Show which entries of a destination's archives were verified, and when.",
        discussion: """
            Sampled runs choose the entries verified least recently first (never verified \
            first of all; failed ones on every run until they pass), so a small sample per run \
            still reads every entry in time. Without ARCHIVE: one row per kept archive with \
            the entries verified within coverage_window (or ever, without one), the failed, \
            and the oldest read. With ARCHIVE: every entry's latest read.

            \(DaemonExitStatus.commandHelpText)
            """
    )

    @Argument(help: "The destination.")
    var destination: String

    @Argument(help: "One archive (its path) for the entries' detail.")
    var archive: String?

    @OptionGroup var connection: DaemonConnectionOptions

    func run() throws {
        let result = try connection.call(
            .coverage, CoverageArguments(destination: destination, archive: archive), expecting: CoverageResult.self)
        if connection.json {
            connection.printJSON(result)
            return
        }
        var text = ""
        if let summary = result.summary { text += "\(result.destination): \(CoverageText.line(summary))\n" }
        var rows = [["ARCHIVE", "ENTRIES", "VERIFIED", "FAILED", "NEVER", "OLDEST READ"]]
        for a in result.archives {
            let entries = a.entries.map(String.init) ?? "?"
            let never = a.entries.map { String(max($0 - a.everVerified, 0)) } ?? "?"
            rows.append([a.archive, entries, "\(a.verified)", "\(a.failed)", never, a.oldestVerifiedAt.map(TimeText.timestamp) ?? "-"])
        }
        text += TimeText.table(rows)
        if let entries = result.entries {
            text += "\n"
            var detail = [["ENTRY", "VERIFIED AT", "RESULT", "RUN", "SIZE", "DIGEST"]]
            for e in entries {
                detail.append([
                    e.path, TimeText.timestamp(e.verifiedAt), e.failed ? "failed" : "ok", "\(e.runId)",
                    e.size.map { "\($0)" } ?? "-", e.digest.map { String($0.prefix(23)) + "…" } ?? "-",
                ])
            }
            text += TimeText.table(detail)
        }
        Output.out(text)
    }
}

enum CoverageText {
    static func line(_ c: CoverageSummary) -> String {
        let share = c.entries > 0 ? Int((Double(c.verified) * 100 / Double(c.entries)).rounded(.down)) : 0
        var text = "\(share)% of \(c.entries) entries verified" + (c.window.map { " within \(TimeText.span($0))" } ?? "")
        if let bytes = c.bytes, bytes > 0 {
            text += " (\(Int((Double(c.verifiedBytes) * 100 / Double(bytes)).rounded(.down)))% of \(NumberText.bytes(bytes)))"
        }
        if c.failed > 0 { text += ", \(c.failed) failed" }
        if c.neverVerified > 0 { text += ", \(c.neverVerified) never verified" }
        if let oldest = c.oldestVerifiedAt, c.neverVerified == 0 { text += ", oldest read \(TimeText.timestamp(oldest))" }
        if let complete = c.completeBy, c.verified < c.entries { text += "; complete by \(TimeText.timestamp(complete))" }
        return text
    }
}
