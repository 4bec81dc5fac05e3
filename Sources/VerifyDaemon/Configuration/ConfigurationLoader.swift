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
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                file: "\(file):\(error.source.begin.line):\(error.source.begin.column)", key: "",
                message: "TOML syntax error: \(error.description)")
        } catch {
            throw ConfigurationError(file: file, key: "", message: "TOML syntax error: \(error)")
        }
        var reader = TableReader(table: root, file: file, prefix: "")
        var configuration = DaemonConfiguration()
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
            guard v == "idle" || v == "best-effort" else { throw reader.error("worker_io_class", "\"\(v)\" is not idle or best-effort") }
            configuration.workerIOClass = v
        }
        if let v = try reader.integer("worker_threads", range: 1...2) { configuration.workerThreads = v }
        if let v = try reader.string("inflater") {
            guard v == "isal" || v == "zlib" else { throw reader.error("inflater", "\"\(v)\" is not isal or zlib") }
            configuration.inflater = v
        }
        if let table = try reader.table("hooks") {
            var hooksReader = TableReader(table: table, file: file, prefix: "hooks.")
            if let v = try hooksReader.string("directory") { configuration.hooks.directory = try hooksReader.absolutePath(v, key: "directory") }
            if let v = try hooksReader.string("state_directory") { configuration.hooks.stateDirectory = try hooksReader.absolutePath(v, key: "state_directory") }
            if let v = try hooksReader.duration("timeout") {
                guard v >= 1 else { throw hooksReader.error("timeout", "must be at least 1s") }
                configuration.hooks.timeout = v
            }
            if let v = try hooksReader.integer("concurrency", range: 1...64) { configuration.hooks.concurrency = v }
            if let v = try hooksReader.duration("repeat_interval") { configuration.hooks.repeatInterval = v }
            if let v = try hooksReader.duration("max_repeat_interval") { configuration.hooks.maxRepeatInterval = v }
            if let v = try hooksReader.string("user") {
                guard !v.isEmpty else { throw hooksReader.error("user", "is empty") }
                configuration.hooks.user = v
            }
            try hooksReader.rejectUnknownKeys()
        }
        for (index, table) in try reader.tables("alert_socket").enumerated() {
            var socketReader = TableReader(table: table, file: file, prefix: "alert_socket[\(index + 1)].")
            guard let path = try socketReader.string("path") else { throw socketReader.error("path", "is required") }
            var target = AlertSocketConfiguration(path: try socketReader.absolutePath(path, key: "path"))
            guard target.path.utf8.count < 108 else { throw socketReader.error("path", "is longer than 107 bytes") }
            if let kind = try socketReader.string("type") {
                guard let parsed = AlertSocketConfiguration.Kind(rawValue: kind) else {
                    throw socketReader.error("type", "\"\(kind)\" is not stream or datagram")
                }
                target.kind = parsed
            }
            if configuration.alertSockets.contains(where: { $0.path == target.path }) {
                throw socketReader.error("path", "\(target.path) is listed twice")
            }
            try socketReader.rejectUnknownKeys()
            configuration.alertSockets.append(target)
        }
        for (index, table) in try reader.tables("alertmanager").enumerated() {
            var alertmanagerReader = TableReader(table: table, file: file, prefix: "alertmanager[\(index + 1)].")
            let target = try readAlertmanager(&alertmanagerReader)
            if configuration.hooks.alertmanagers.contains(where: { $0.name == target.name }) {
                throw alertmanagerReader.error("url", "\(target.name) is listed twice")
            }
            try alertmanagerReader.rejectUnknownKeys()
            configuration.hooks.alertmanagers.append(target)
        }
        for (index, table) in try reader.tables("destination").enumerated() {
            var destinationReader = TableReader(table: table, file: file, prefix: "destination[\(index + 1)].")
            let destination = try readDestination(&destinationReader)
            if configuration.destinations.contains(where: { $0.name == destination.name }) {
                throw destinationReader.error("name", "\"\(destination.name)\" is used by another destination")
            }
            try destinationReader.rejectUnknownKeys()
            configuration.destinations.append(destination)
        }
        // verifyd never writes into a backup destination.
        if let metrics = configuration.metricsFile,
           let inside = configuration.destinations.first(where: { metrics.hasPrefix($0.path.hasSuffix("/") ? $0.path : $0.path + "/") }) {
            throw reader.error("metrics_file", "\(metrics) is inside destination \"\(inside.name)\" (\(inside.path)): verifyd never writes into a backup folder")
        }
        try reader.rejectUnknownKeys()
        return configuration
    }

    private static func readDestination(_ reader: inout TableReader) throws(ConfigurationError) -> DestinationConfiguration {
        guard let name = try reader.string("name") else { throw reader.error("name", "is required") }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), name.count <= 64 else {
            throw reader.error("name", "\"\(name)\" must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
        guard let rawPath = try reader.string("path") else { throw reader.error("path", "is required") }
        var destination = DestinationConfiguration(name: name, path: try reader.absolutePath(rawPath, key: "path"))
        if let patterns = try reader.strings("archives") {
            guard !patterns.isEmpty, !patterns.contains(where: \.isEmpty) else {
                throw reader.error("archives", "must list at least one non-empty glob pattern")
            }
            destination.archives = patterns
        }
        let manifest = try reader.string("manifest")
        let inside = try reader.string("manifest_in_archive")
        switch (manifest, inside) {
        case (.some, .some):
            throw reader.error("manifest_in_archive", "cannot be used together with manifest")
        case (.some(let template), nil):
            if template == "none" {
                destination.manifest = .none
            } else {
                if let problem = PathTemplate.problem(in: template) { throw reader.error("manifest", "\"\(template)\" \(problem)") }
                destination.manifest = .file(template: template)
            }
        case (nil, .some(let entry)):
            guard !entry.isEmpty else { throw reader.error("manifest_in_archive", "is empty") }
            destination.manifest = .inArchive(entry: entry)
        case (nil, nil): break
        }
        if let format = try reader.string("manifest_format"), format != "auto" {
            guard let parsed = ManifestFormat(rawValue: format) else {
                throw reader.error("manifest_format", "\"\(format)\" is not one of auto, sha256sum, b2sum, bsd, mtree, json")
            }
            destination.manifestFormat = parsed
        }
        if let format = try reader.string("format") {
            guard let parsed = ArchiveFormatPolicy(rawValue: format) else {
                throw reader.error("format", "\"\(format)\" is not one of auto, raw")
            }
            destination.format = parsed
        }
        if let template = try reader.string("archive_digest") {
            if let problem = PathTemplate.problem(in: template) { throw reader.error("archive_digest", "\"\(template)\" \(problem)") }
            destination.archiveDigest = template
        }
        if let v = try reader.integer("strip_components", range: 0...64) { destination.stripComponents = v }
        if let v = try reader.bool("strict") { destination.strict = v }
        if let v = try reader.sample("sample") { destination.sample = v }
        if let v = try reader.duration("interval") {
            guard v >= 1 else { throw reader.error("interval", "must be at least 1s") }
            destination.interval = v
        }
        if let v = try reader.duration("settle") { destination.settle = v }
        if let v = try reader.duration("poll_interval") {
            guard v >= 0.1 else { throw reader.error("poll_interval", "must be at least 100ms") }
            destination.pollInterval = v
        }
        if try reader.isString("max_age", equalTo: "off") {
            destination.maxAge = nil
        } else if let v = try reader.duration("max_age") {
            guard v > 0 else { throw reader.error("max_age", "must be more than 0 (or \"off\")") }
            destination.maxAge = v
        }
        if let v = try reader.string("mode") {
            guard let mode = VerificationMode(rawValue: v) else { throw reader.error("mode", "\"\(v)\" is not stream or restore") }
            destination.mode = mode
        }
        if let v = try reader.size("restore_limit") {
            guard v >= 1 << 20 else { throw reader.error("restore_limit", "must be at least 1MiB") }
            destination.restoreLimit = v
        }
        if let v = try reader.duration("max_duration") {
            guard v >= 1 else { throw reader.error("max_duration", "must be at least 1s") }
            destination.maxDuration = v
        }
        if let v = try reader.size("max_bytes") {
            guard v >= 1 << 20 else { throw reader.error("max_bytes", "must be at least 1MiB") }
            destination.maxBytes = v
        }
        if let v = try reader.duration("coverage_window") {
            guard v >= destination.interval else {
                throw reader.error("coverage_window", "must be at least the interval (\(DurationText.words(destination.interval)))")
            }
            destination.coverageWindow = v
        }
        if let v = try reader.string("shrink_alert"), v != "off" {
            let number = v.hasSuffix("%") ? Double(v.dropLast().trimmingCharacters(in: .whitespaces)) : nil
            guard let number, number >= 1, number <= 99 else {
                throw reader.error("shrink_alert", "\"\(v)\" is not a percentage from 1% to 99% (or \"off\")")
            }
            destination.shrinkAlert = number / 100
        }
        if let v = try reader.integer("keep_verifying", range: 1...100_000) { destination.keepVerifying = v }
        if let v = try reader.duration("history_retention") {
            guard v >= 3600 else { throw reader.error("history_retention", "must be at least 1h") }
            destination.historyRetention = v
        }
        if let v = try reader.bool("follow_symlinks") { destination.followSymlinks = v }
        if let v = try reader.integer("max_scan_entries", range: 100...100_000_000) { destination.maxScanEntries = v }
        if let v = try reader.duration("future_mtime_tolerance") {
            guard v >= 60 else { throw reader.error("future_mtime_tolerance", "must be at least 1m (clocks of backup hosts drift)") }
            destination.futureMtimeTolerance = v
        }
        return destination
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

/// Reads typed keys from one TOML table and remembers which keys were read, so the rest can be
/// reported as unknown.
struct TableReader {
    let table: TOMLTable
    let file: String
    let prefix: String
    private(set) var used: Set<String> = []

    init(table: TOMLTable, file: String, prefix: String) {
        self.table = table
        self.file = file
        self.prefix = prefix
    }

    func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, key: prefix + key, message: message)
    }

    private mutating func value(_ key: String) -> TOMLValueConvertible? {
        used.insert(key)
        return table[key]
    }

    private func typeError(_ key: String, _ expected: String, _ value: TOMLValueConvertible) -> ConfigurationError {
        error(key, "must be \(expected), not \(value.type)")
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw typeError(key, "a string", value) }
        return string
    }

    /// Whether the key holds exactly this string (a keyword such as "off"); marks the key as read.
    mutating func isString(_ key: String, equalTo keyword: String) throws(ConfigurationError) -> Bool {
        guard let value = value(key) else { return false }
        return value.string == keyword
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.bool else { throw typeError(key, "true or false", value) }
        return bool
    }

    mutating func integer(_ key: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        guard value.type == .int, let int = value.int else { throw typeError(key, "an integer", value) }
        guard range.contains(int) else { throw error(key, "\(int) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return int
    }

    mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = value(key) else { return nil }
        if let single = value.string { return [single] }
        guard let array = value.array else { throw typeError(key, "a string or an array of strings", value) }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.string else { throw error("\(key)[\(index + 1)]", "must be a string, not \(element.type)") }
            result.append(string)
        }
        return result
    }

    mutating func table(_ key: String) throws(ConfigurationError) -> TOMLTable? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw error(key, "must be a table: write it as [\(key)]") }
        return table
    }

    mutating func tables(_ key: String) throws(ConfigurationError) -> [TOMLTable] {
        guard let value = value(key) else { return [] }
        guard let array = value.array else {
            throw error(key, "must be an array of tables: write each destination as [[\(key)]]")
        }
        var result: [TOMLTable] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else { throw error("\(key)[\(index + 1)]", "must be a table") }
            result.append(table)
        }
        return result
    }

    /// A duration given as a string ("15m") or as a number of seconds.
    mutating func duration(_ key: String) throws(ConfigurationError) -> Double? {
        try parsed(key, expected: "a duration such as \"15m\" or a number of seconds", numbers: true, ConfigurationValues.duration)
    }

    /// A size given as a string ("2GiB") or as a number of bytes.
    mutating func size(_ key: String) throws(ConfigurationError) -> Int64? {
        try parsed(key, expected: "a size such as \"2GiB\" or a number of bytes", numbers: false, ConfigurationValues.byteSize)
    }

    mutating func sample(_ key: String) throws(ConfigurationError) -> SamplePolicy? {
        try parsed(key, expected: "\"all\", an entry count, a percentage or a byte budget", numbers: false, ConfigurationValues.samplePolicy)
    }

    /// A value written as a string in its own syntax, or as an integer (or, with `numbers`, a
    /// floating-point number), handed to `parse`.
    private mutating func parsed<T>(
        _ key: String, expected: String, numbers: Bool, _ parse: (String) -> Result<T, ValueProblem>
    ) throws(ConfigurationError) -> T? {
        guard let value = value(key) else { return nil }
        let text: String
        if let string = value.string {
            text = string
        } else if value.type == .int, let int = value.int {
            text = String(int)
        } else if numbers, let double = value.double {
            text = String(double)
        } else {
            throw typeError(key, expected, value)
        }
        switch parse(text) {
        case .success(let result): return result
        case .failure(let problem): throw error(key, problem.message)
        }
    }

    func absolutePath(_ path: String, key: String) throws(ConfigurationError) -> String {
        guard path.hasPrefix("/") else { throw error(key, "\"\(path)\" must be an absolute path") }
        // One spelling per folder ("//", "/./", "/x/.." and trailing slashes removed), so paths
        // given to `verifyctl verify` compare equal.
        return (path as NSString).standardizingPath
    }

    func rejectUnknownKeys() throws(ConfigurationError) {
        for key in table.keys.sorted() where !used.contains(key) {
            throw error(key, "unknown key (check its spelling in docs/configuration.md)")
        }
    }
}
