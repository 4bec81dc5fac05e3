import ArgumentParser
import Foundation
import Glibc
import Logging
import ServiceLifecycle
import VerifyProtocol
import VerifySystem

/// `verifyd-hooks`: runs hook scripts for verifyd's alerts. Its entry point is `start()`, called
/// by the `verifyd-hooks` executable and by `verifyd` when it is run under that name (the package
/// installs one binary for the three commands, docs/install.md).
public struct HooksCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verifyd-hooks",
        abstract: "Run hook scripts (email...) for every alert verifyd raises.",
        discussion: """
            verifyd-hooks follows verifyd's alert log over its control socket and, for each \
            alert, runs the executables in the hooks directory whose names start with the \
            alert's kind (\(AlertKind.allCases.map { $0.rawValue + "-" }.joined(separator: ", "))) \
            or with all-. See hooks/README.md for the contract: the \
            VERIFYD_* variables, the alert JSON on stdin, exit status 75 to be retried, the \
            timeout.

            It keeps its cursor in the [hooks] state_directory and moves it only after an \
            alert's hooks ran, so nothing is lost when it or verifyd restarts. It runs in its \
            own systemd unit (systemd/verifyd-hooks.service): it needs the network for mail, \
            verifyd must not have it.

            Exit status:
              0   stopped by SIGTERM or SIGINT
              1   could not start (state directory)
              64  bad command line
              78  the configuration is invalid
            """,
        version: VerifydRelease.version
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The configuration file (the same as verifyd's).", valueName: "path"))
    var config: String = ConfigurationLoader.defaultPath

    @Option(help: ArgumentHelp("Log level: debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: String = "info"

    public init() {}

    public func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        let logger = Logger(label: "verifyd.hooks")
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.load(path: config)
        } catch {
            logger.critical("cannot start: bad configuration", metadata: ["error": "\(error.description)"])
            throw ExitCode(ConfigurationError.exitStatus)
        }
        let runner: HookRunner
        do {
            runner = try HookRunner(configuration: configuration.hooks, socketPath: configuration.socketPath, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let forwarders: [AlertmanagerForwarder]
        do {
            forwarders = try configuration.hooks.alertmanagers.map {
                try AlertmanagerForwarder(
                    target: $0, stateDirectory: configuration.hooks.stateDirectory, socketPath: configuration.socketPath,
                    logger: Logger(label: "verifyd.alertmanager"))
            }
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        signal(SIGPIPE, SIG_IGN)
        logger.info("started", metadata: ["hooks": "\(configuration.hooks.directory)", "socket": "\(configuration.socketPath)"])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: HookRunnerService(runner: runner, logger: logger))]
                    + forwarders.map { .init(service: AlertmanagerService(forwarder: $0)) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "verifyd.hooks.lifecycle")))
        do {
            try await group.run()
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
        }
    }
}

extension HooksCommand {
    /// What `@main` would do. Called from top-level code, `main()` resolves to ParsableCommand's
    /// synchronous one (which refuses an async root); from an async function, to the async one.
    public static func start() async {
        await main()
    }
}
