import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VerifyProtocol
import VerifyStore

/// Starts the daemon the way systemd expects: configuration, history database, control socket,
/// `READY=1`, then the loop until SIGTERM/SIGINT; SIGHUP reloads.
public enum DaemonRunner {
    /// Exit status for a configuration that cannot be used (sysexits EX_CONFIG).
    public static let configurationExitStatus = ConfigurationError.exitStatus

    public static func run(configurationPath: String, logLevel: Logger.Level) async -> Int32 {
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: logLevel) }
        let logger = Logger(label: "verifyd.daemon")
        let configuration: DaemonConfiguration
        let notifier = SystemdNotifier()
        let daemon: Daemon
        let server: ControlServer
        do {
            configuration = try loadConfiguration(configurationPath, logger: logger)
            let store = try openStore(configuration, logger: logger)
            let groups = try groupIDs(configuration, logger: logger)
            daemon = try await prepareDaemon(configurationPath, configuration, store: store, notifier: notifier, logger: logger)
            server = try startServer(configuration, daemon: daemon, groups: groups, logger: logger)
        } catch {
            return error.status
        }
        let forwarders = configuration.alertSockets.map {
            AlertForwarder(target: $0, feed: daemon.alertFeed, logger: Logger(label: "verifyd.alerts"))
        }
        logger.info("started", metadata: [
            "version": "\(Daemon.version)", "config": "\(configurationPath)", "socket": "\(configuration.socketPath)",
            "destinations": "\(configuration.destinations.count)",
        ])
        logWorkerSandbox(logger)
        notifier.ready(status: await daemon.statusLine(at: Date().timeIntervalSince1970))

        // Graceful shutdown goes from the last service to the first, each once the one after it
        // has ended: the loop stops (runs recorded) before the socket and the forwarders close.
        var services: [any Service] = [server]
        services += forwarders.map { $0 as any Service }
        if let inotify = daemon.inotify { services.append(inotify) }
        services += [DaemonLoopService(daemon: daemon), ReloadSignalService(daemon: daemon, logger: logger)]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "verifyd.lifecycle")))
        do {
            try await group.run()
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
        }
        logger.info("stopped")
        return 0
    }

    /// Why the daemon could not start (already logged): the exit status to end with.
    struct StartFailure: Error {
        var status: Int32
    }

    /// The configuration, validated (trusted key files too); its warnings are logged.
    static func loadConfiguration(_ path: String, logger: Logger) throws(StartFailure) -> DaemonConfiguration {
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.load(path: path)
            try TrustedKeyFiles.validate(configuration, file: path)
            try DecryptionKeyFiles.validate(configuration, file: path)
        } catch {
            logger.critical("cannot start: bad configuration", metadata: ["error": "\(error.description)"])
            throw StartFailure(status: configurationExitStatus)
        }
        for warning in ConfigurationLoader.warnings(for: configuration) { logger.warning("\(warning)") }
        return configuration
    }

    /// The state directory, made if missing, and the history database in it.
    static func openStore(_ configuration: DaemonConfiguration, logger: Logger) throws(StartFailure) -> HistoryStore {
        do {
            try makeDirectory(configuration.stateDirectory)
            return try HistoryStore(path: configuration.stateDirectory + "/history.sqlite")
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw StartFailure(status: 1)
        }
    }

    /// The group ids of `socket_group` and `admin_group`, when set; a name without a group is
    /// a configuration error.
    static func groupIDs(_ configuration: DaemonConfiguration, logger: Logger) throws(StartFailure) -> (socket: UInt32?, admin: UInt32?) {
        var ids: [UInt32?] = []
        for (name, key) in [(configuration.socketGroup, "socket_group"), (configuration.adminGroup, "admin_group")] {
            guard let name else {
                ids.append(nil)
                continue
            }
            guard let gid = GroupLookup.gid(name) else {
                logger.critical(key == "socket_group" ? "cannot start: socket_group does not exist" : "cannot start: admin_group does not exist", metadata: ["group": "\(name)"])
                throw StartFailure(status: configurationExitStatus)
            }
            ids.append(gid)
        }
        return (ids[0], ids[1])
    }

    /// The daemon, its history read back (`prepare`).
    static func prepareDaemon(
        _ configurationPath: String, _ configuration: DaemonConfiguration, store: HistoryStore, notifier: SystemdNotifier, logger: Logger
    ) async throws(StartFailure) -> Daemon {
        do {
            let daemon = try Daemon(
                configurationPath: configurationPath, configuration: configuration, store: store, notifier: notifier,
                logger: logger, workerExecutable: Self.ownExecutable())
            try await daemon.prepare()
            return daemon
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw StartFailure(status: 1)
        }
    }

    /// The control socket, bound and listening (its service serves it once the group runs).
    static func startServer(
        _ configuration: DaemonConfiguration, daemon: Daemon, groups: (socket: UInt32?, admin: UInt32?), logger: Logger
    ) throws(StartFailure) -> ControlServer {
        let handler = ControlRequestHandler(backend: daemon, adminGroup: groups.admin, daemonUID: geteuid())
        let server = ControlServer(
            path: configuration.socketPath, handler: handler, feed: daemon.alertFeed, hello: Hello(version: Daemon.version, pid: getpid()),
            hookRunnerUID: getpwnam(configuration.hooks.user).map { $0.pointee.pw_uid })
        do {
            try server.start(group: groups.socket)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw StartFailure(status: 1)
        }
        return server
    }

    /// Creates a folder and its parents (mode 0750; the folder itself 0700), with an error that
    /// names the folder.
    static func makeDirectory(_ path: String) throws(DaemonError) {
        var partial = ""
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            partial += "/" + component
            // The state directory itself is the daemon's alone (docs/security.md).
            if mkdir(partial, index == components.count - 1 ? 0o700 : 0o750) != 0, errno != EEXIST {
                throw DaemonError("cannot create the state directory \(partial): \(errnoText())")
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw DaemonError("the state directory \(path) is not a directory")
        }
    }

    /// The path of this executable, which is started again as `verifyd worker`.
    static func ownExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// The daemon's loop as a service: graceful shutdown stops it.
struct DaemonLoopService: Service {
    let daemon: Daemon

    func run() async throws {
        await withGracefulShutdownHandler {
            await daemon.run()
        } onGracefulShutdown: {
            daemon.requestShutdown()
        }
    }
}

/// SIGHUP re-reads the configuration (like `verifyctl reload`).
struct ReloadSignalService: Service {
    let daemon: Daemon
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            logger.info("SIGHUP: reloading the configuration")
            do {
                _ = try await daemon.reload()
            } catch {
                // Logged by reload(); the old configuration stays.
            }
        }
    }
}

extension DaemonRunner {
    /// Says once, at start, how far this kernel lets workers be sealed (docs/security.md).
    static func logWorkerSandbox(_ logger: Logger) {
        let sandbox = WorkerSandbox.availability()
        if let abi = sandbox.landlockABI, sandbox.seccomp {
            logger.info("workers are sandboxed", metadata: ["landlock.abi": "\(abi)", "seccomp": "yes"])
        } else {
            // Constant messages: which part is missing decides which one.
            if sandbox.landlockABI == nil {
                logger.warning("workers have no Landlock: they can write wherever the daemon's user can", metadata: [
                    "landlock": "\(sandbox.landlockUnavailable ?? "")", "seccomp": "\(sandbox.seccomp ? "yes" : "no")"])
            }
            if !sandbox.seccomp {
                logger.warning("workers have no seccomp filter: they can open sockets, the control socket too")
            }
        }
    }
}
