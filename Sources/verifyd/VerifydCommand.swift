import ArgumentParser
import Foundation
import Logging
import VerifyDaemon

/// `verifyd`: the backup verification daemon (started by main.swift).
struct VerifydCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verifyd",
        abstract: "Watch backup destinations, verify archives as they arrive and on schedule, keep history.",
        usage: "verifyd [--config <path>] [--check-config] [--log-level <level>]",
        discussion: """
            verifyd runs in the foreground (as a systemd Type=notify service) and logs to stderr. \
            It reads its configuration from --config (see docs/configuration.md and \
            verifyd.toml.example), keeps its run history in STATE_DIRECTORY/history.sqlite and \
            answers verifyctl on its control socket.

            Signals: SIGHUP re-reads the configuration (a bad one is refused and the old one \
            kept); SIGTERM and SIGINT stop it, recording runs in progress as interrupted.

            Exit status:
              0   stopped cleanly, or --check-config found the configuration valid
              1   could not start (database, socket)
              64  bad command line
              78  the configuration is invalid (the error names the file and key)
            """,
        version: Daemon.version
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String = ConfigurationLoader.defaultPath

    @Flag(help: "Validate the configuration, print what it sets up, and exit.")
    var checkConfig = false

    @Option(help: ArgumentHelp("Log level: debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of debug, info, notice, warning, error") }
    }

    func run() async throws {
        if checkConfig { throw ExitCode(ConfigurationCheck.run(path: config)) }
        let path = URL(fileURLWithPath: config).standardizedFileURL.path
        let status = await DaemonRunner.run(configurationPath: path, logLevel: Logger.Level(rawValue: logLevel) ?? .info)
        throw ExitCode(status)
    }
}

extension VerifydCommand {
    /// What `@main` would do. Called from top-level code, `main()` resolves to ParsableCommand's
    /// synchronous one (which refuses an async root); from an async function, to the async one.
    static func start() async {
        await main()
    }
}
