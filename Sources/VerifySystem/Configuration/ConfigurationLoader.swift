import Foundation
import TOMLKit
import VerifyCore
import VerifyProtocol

/// Reads `verifyd.toml` into a `DaemonConfiguration`. Every error names the file and the key
/// path; unknown keys are errors, so a typo never silently turns a setting off.
public enum ConfigurationLoader {
    public static let defaultPath = "/etc/verifyd/verifyd.toml"

    public static func load(path: String) throws(ConfigurationError) -> DaemonConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ConfigurationError(file: path, key: "", message: "the configuration file \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, key: "", message: "is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> DaemonConfiguration {
        var reader = TableReader(table: try table(text, file: file), file: file, prefix: "")
        var configuration = DaemonConfiguration()
        try readPlaces(&reader, into: &configuration)
        try readWorkers(&reader, into: &configuration)
        if let keys = try reader.strings("trusted_keys") {
            for key in keys { configuration.trustedKeys.append(try reader.absolutePath(key, key: "trusted_keys")) }
        }
        configuration.decryption = try readDecryptionKeys(&reader)
        if let table = try reader.table("hooks") {
            configuration.hooks = try readHooks(TableReader(table: table, file: file, prefix: "hooks."))
        }
        configuration.alertSockets = try readAlertSockets(&reader)
        configuration.hooks.alertmanagers = try readAlertmanagers(&reader)
        for (index, table) in try reader.tables("destination").enumerated() {
            var destinationReader = TableReader(table: table, file: file, prefix: "destination[\(index + 1)].")
            let destination = try readDestination(&destinationReader)
            if configuration.destinations.contains(where: { $0.name == destination.name }) {
                throw destinationReader.error("name", "\"\(destination.name)\" is used by another destination")
            }
            try destinationReader.rejectUnknownKeys()
            configuration.destinations.append(destination)
        }
        if configuration.trustedKeys.isEmpty, let signed = configuration.destinations.first(where: { $0.manifestSignature == .required }) {
            throw reader.error("trusted_keys", "is empty, and destination \"\(signed.name)\" has manifest_signature = \"required\": no manifest could pass")
        }
        // verifyd never writes into a backup destination.
        if let metrics = configuration.metricsFile,
           let inside = configuration.destinations.first(where: { metrics.hasPrefix($0.path.hasSuffix("/") ? $0.path : $0.path + "/") }) {
            throw reader.error("metrics_file", "\(metrics) is inside destination \"\(inside.name)\" (\(inside.path)): verifyd never writes into a backup folder")
        }
        try reader.rejectUnknownKeys()
        return configuration
    }

    /// The TOML text as a table; a syntax error names the line and column.
    private static func table(_ text: String, file: String) throws(ConfigurationError) -> TOMLTable {
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                file: "\(file):\(error.source.begin.line):\(error.source.begin.column)", key: "",
                message: "TOML syntax error: \(error.description)")
        } catch {
            throw ConfigurationError(file: file, key: "", message: "TOML syntax error: \(error)")
        }
    }

    /// Where the daemon keeps its state, its socket and its metrics, and who may use the socket.
    private static func readPlaces(_ reader: inout TableReader, into configuration: inout DaemonConfiguration) throws(ConfigurationError) {
        if let v = try reader.string("state_directory") { configuration.stateDirectory = try reader.absolutePath(v, key: "state_directory") }
        if let v = try reader.string("socket") {
            configuration.socketPath = try reader.absolutePath(v, key: "socket")
            // Start-up could not bind it: sockaddr_un holds 107 bytes and a NUL.
            guard configuration.socketPath.utf8.count < 108 else {
                throw reader.error("socket", "\(configuration.socketPath) is \(configuration.socketPath.utf8.count) bytes long; a Unix socket path can have at most 107")
            }
        }
        configuration.socketGroup = try reader.string("socket_group")
        // Beside the socket unless set: the folder the daemon may write to under systemd.
        configuration.metricsFile = (configuration.socketPath as NSString).deletingLastPathComponent + "/metrics.prom"
        if let v = try reader.string("metrics_file") {
            configuration.metricsFile = v == "off" ? nil : try reader.absolutePath(v, key: "metrics_file")
        }
        configuration.adminGroup = try reader.string("admin_group")
    }

    /// How many workers run, and with what limits, priorities and decoders.
    private static func readWorkers(_ reader: inout TableReader, into configuration: inout DaemonConfiguration) throws(ConfigurationError) {
        if let v = try reader.integer("concurrency", range: 1...64) { configuration.concurrency = v }
        if let v = try reader.size("worker_memory_limit") {
            guard v >= 256 << 20 else { throw reader.error("worker_memory_limit", "must be at least 256MiB (a worker needs about 200 MiB of address space to start)") }
            configuration.workerMemoryLimit = v
        }
        if let v = try reader.duration("stall_timeout") {
            guard v > 0 else { throw reader.error("stall_timeout", "must be more than 0") }
            configuration.stallTimeout = v
        }
        if let v = try reader.duration("worker_timeout") { configuration.workerTimeout = v }
        configuration.restoreReserve = try reader.size("restore_reserve")
        if let v = try reader.integer("worker_nice", range: 0...19) { configuration.workerNice = v }
        if let v = try reader.string("worker_io_class") {
            guard let ioClass = WorkerIOClass(rawValue: v) else { throw reader.error("worker_io_class", "\"\(v)\" is not idle or best-effort") }
            configuration.workerIOClass = ioClass
        }
        if let v = try reader.integer("worker_threads", range: 1...2) { configuration.workerThreads = v }
        if let v = try reader.string("inflater") {
            guard let inflater = GzipBackend(rawValue: v) else { throw reader.error("inflater", "\"\(v)\" is not isal or zlib") }
            configuration.inflater = inflater
        }
    }

    /// `[hooks]`, read by verifyd-hooks.
    private static func readHooks(_ table: TableReader) throws(ConfigurationError) -> HookConfiguration {
        var reader = table
        var hooks = HookConfiguration()
        if let v = try reader.string("directory") { hooks.directory = try reader.absolutePath(v, key: "directory") }
        if let v = try reader.string("state_directory") { hooks.stateDirectory = try reader.absolutePath(v, key: "state_directory") }
        if let v = try reader.duration("timeout") {
            guard v >= 1 else { throw reader.error("timeout", "must be at least 1s") }
            hooks.timeout = v
        }
        if let v = try reader.integer("concurrency", range: 1...64) { hooks.concurrency = v }
        if let v = try reader.duration("repeat_interval") { hooks.repeatInterval = v }
        if let v = try reader.duration("max_repeat_interval") { hooks.maxRepeatInterval = v }
        if let v = try reader.string("user") {
            guard !v.isEmpty else { throw reader.error("user", "is empty") }
            hooks.user = v
        }
        try reader.rejectUnknownKeys()
        return hooks
    }

    /// `[[alert_socket]]`: each path at most once.
    private static func readAlertSockets(_ reader: inout TableReader) throws(ConfigurationError) -> [AlertSocketConfiguration] {
        var sockets: [AlertSocketConfiguration] = []
        for (index, table) in try reader.tables("alert_socket").enumerated() {
            var socketReader = TableReader(table: table, file: reader.file, prefix: "alert_socket[\(index + 1)].")
            guard let path = try socketReader.string("path") else { throw socketReader.error("path", "is required") }
            var target = AlertSocketConfiguration(path: try socketReader.absolutePath(path, key: "path"))
            guard target.path.utf8.count < 108 else { throw socketReader.error("path", "is longer than 107 bytes") }
            if let kind = try socketReader.string("type") {
                guard let parsed = AlertSocketConfiguration.Kind(rawValue: kind) else {
                    throw socketReader.error("type", "\"\(kind)\" is not stream or datagram")
                }
                target.kind = parsed
            }
            if sockets.contains(where: { $0.path == target.path }) {
                throw socketReader.error("path", "\(target.path) is listed twice")
            }
            try socketReader.rejectUnknownKeys()
            sockets.append(target)
        }
        return sockets
    }

    /// Advice that is not an error: settings that are legal but probably not what was meant.
    public static func warnings(for configuration: DaemonConfiguration) -> [String] {
        var warnings: [String] = []
        if configuration.destinations.isEmpty { warnings.append("no [[destination]] is configured: verifyd will watch nothing") }
        for destination in configuration.destinations {
            if destination.maxAge == nil {
                warnings.append("destination \"\(destination.name)\" has no max_age: a backup job that stops will not be noticed")
            }
            if destination.manifest == .none {
                warnings.append("destination \"\(destination.name)\" has manifest = \"none\": only archive integrity is checked")
            }
        }
        return warnings
    }
}
