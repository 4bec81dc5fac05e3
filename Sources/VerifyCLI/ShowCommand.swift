import ArgumentParser
import VerifyProtocol

/// `verifyctl show RUN`: one run and its failures.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run and its failures.",
        discussion: """
            Prints what the run checked and every failure stored for it: the entry, the kind of \
            failure, what the manifest expected and what the archive held. The seed replays the \
            same sample with verifyctl check --seed.

            \(DaemonExitStatus.commandHelpText)
            """
    )

    @Argument(help: ArgumentHelp("The run id (from verifyctl history).", valueName: "run"))
    var runID: Int64

    @OptionGroup var connection: DaemonConnectionOptions

    func run() throws {
        let result = try connection.call(.show, ShowArguments(run: runID), expecting: ShowResult.self)
        if connection.json {
            connection.printJSON(result)
            return
        }
        let r = result.run
        var text = """
            run \(r.id): \(r.verdict.description.uppercased())
              destination  \(r.destination.printable)
              archive      \(r.archive.printable) (\(NumberText.bytes(r.archiveSize)), modified \(TimeText.timestamp(r.archiveMtime)))
              started      \(TimeText.timestamp(r.started)) (\(r.trigger))
              finished     \(r.finished.map(TimeText.timestamp) ?? "-")
              checked      \(r.entriesChecked) of \(r.entriesSelected) selected (\(r.entriesSeen) entries seen), sample \(r.sample), seed \(r.seed)
              read         \(NumberText.bytes(r.bytesRead)) in \(NumberText.fixed(r.durationSeconds, 2)) s

            """
        if let digest = r.archiveDigest { text += "  digest       \(digest)\n" }
        if let error = r.error { text += "  error        \(error.printable)\n" }
        if let note = r.note {
            text += "  note         \(note.printable)\(note.contains("reached") ? "; the next run continues with what is left" : "")\n"
        }
        if r.failureCount > 0 {
            text += "\nfailures (\(r.failureCount)\(result.failures.count < r.failureCount ? ", \(result.failures.count) stored" : "")):\n"
            for f in result.failures {
                text += "  \(f.kind.printable): \((f.path ?? "(archive)").printable)\n"
                if let expected = f.expected { text += "      expected \(expected.printable)\n" }
                if let actual = f.actual { text += "      actual   \(actual.printable)\n" }
            }
        }
        Output.out(text)
    }
}
