import ArgumentParser
import VerifyCore
import VerifyProtocol

/// `verifyctl verify DEST|ARCHIVE`: verify now, ahead of the schedule.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Ask verifyd to verify a destination's newest archives, or one archive, now.",
        discussion: """
            A destination name queues its newest archives (keep_verifying of them); an absolute \
            path queues that archive, which must lie inside a configured destination. Requests \
            go to the front of the queue. Needs root or the admin group.

            \(DaemonExitStatus.verifyHelpText)
            """
    )

    @Argument(help: "A destination name, or the absolute path of an archive.")
    var target: String

    @Flag(help: "Wait for the runs to finish and print their verdicts.")
    var wait = false

    @Flag(help: "With --wait: no progress line on stderr (shown only when stderr is a terminal, never with --json).")
    var noProgress = false

    @OptionGroup var connection: DaemonConnectionOptions

    func run() throws {
        let progress = wait && !connection.json && !noProgress ? WaitProgress(socketPath: connection.socketPath, target: target) : nil
        progress?.start()
        let result: VerifyResult
        do {
            result = try connection.call(.verify, VerifyArguments(target: target, wait: wait), expecting: VerifyResult.self)
            progress?.stop()
        } catch {
            progress?.stop()
            throw error
        }
        if connection.json { connection.printJSON(result) }
        guard wait, let runs = result.runs else {
            if !connection.json { Output.out(result.queued.map { "queued \($0.printable)\n" }.joined()) }
            return
        }
        if !connection.json {
            for run in runs {
                Output.out("run \(run.id): \(run.verdict) \(run.archive.printable) (\(run.entriesChecked) checked, \(run.failureCount) failures)\(run.error.map { ": \($0.printable)" } ?? "")\n")
                if let note = run.note { Output.out("  note: \(note.printable)\n") }
            }
            // An archive still being written (or changed since the scan) gets no run.
            for path in result.queued where !runs.contains(where: { $0.archive == path }) {
                Output.err("not run: \(path.printable) (still being written, changed since the last scan, or verifyd stopping: `verifyctl status` says why)\n")
            }
        }
        if runs.count < result.queued.count { throw ExitCode(ExitStatus.error) }
        // The worst run decides: an error or an interrupted run (2) over a failure (1).
        let worst = runs.map { $0.verdict.verdict.map(ExitStatus.forVerdict) ?? ExitStatus.error }.max() ?? ExitStatus.pass
        if worst != ExitStatus.pass { throw ExitCode(worst) }
    }
}
