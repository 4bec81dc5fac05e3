import ArgumentParser
import VerifyProtocol

/// `verifyctl reload`: re-read the configuration, and wait until it is in force.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make verifyd re-read its configuration (what systemctl reload runs).",
        discussion: """
            Runs in progress continue. A configuration with errors is refused, the old one stays \
            in force, and the error is printed. Needs root or the admin group.

            \(DaemonExitStatus.commandHelpText)
            """
    )

    @OptionGroup var connection: DaemonConnectionOptions

    func run() throws {
        let result = try connection.call(.reload, NoArguments(), expecting: ReloadResult.self)
        if connection.json {
            connection.printJSON(result)
        } else {
            Output.out("reloaded: \(result.destinations.count) destination(s)\(result.destinations.isEmpty ? "" : ": " + result.destinations.joined(separator: ", "))\n")
        }
    }
}
