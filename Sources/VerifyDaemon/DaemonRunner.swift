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
        do {
            configuration = try ConfigurationLoader.load(path: configurationPath)
            try TrustedKeyFiles.validate(configuration, file: configurationPath)
            try DecryptionKeyFiles.validate(configuration, file: configurationPath)
        } catch {
            logger.critical("cannot start: bad configuration", metadata: ["error": "\(error.description)"])
            return configurationExitStatus
        }
        for warning in ConfigurationLoader.warnings(for: configuration) { logger.warning("\(warning)") }

        let notifier = SystemdNotifier()
        let store: HistoryStore
        do {
            try makeDirectory(configuration.stateDirectory)
            store = try HistoryStore(path: configuration.stateDirectory + "/history.sqlite")
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            return 1
        }
        var socketGroup: UInt32?
        var adminGroup: UInt32?
        if let name = configuration.socketGroup {
            guard let gid = GroupLookup.gid(name) else {
                logger.critical("cannot start: socket_group does not exist", metadata: ["group": "\(name)"])
                return configurationExitStatus
            }
            socketGroup = gid
        }
        if let name = configuration.adminGroup {
            guard let gid = GroupLookup.gid(name) else {
                logger.critical("cannot start: admin_group does not exist", metadata: ["group": "\(name)"])
                return configurationExitStatus
            }
            adminGroup = gid
        }

        let daemon: Daemon
        do {
            daemon = try Daemon(
                configurationPath: configurationPath, configuration: configuration, store: store, notifier: notifier,
                logger: logger, workerExecutable: Self.ownExecutable())
            try await daemon.prepare()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            return 1
        }
        let handler = ControlRequestHandler(backend: daemon, adminGroup: adminGroup, daemonUID: geteuid())
        let server = ControlServer(
            path: configuration.socketPath, handler: handler, feed: daemon.alertFeed, hello: Hello(version: Daemon.version, pid: getpid()),
            hookRunnerUID: getpwnam(configuration.hooks.user).map { $0.pointee.pw_uid })
        do {
            try server.start(group: socketGroup)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            return 1
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
