extension ConfigurationLoader {
    /// `[[alertmanager]]`: each URL at most once.
    static func readAlertmanagers(_ reader: inout TableReader) throws(ConfigurationError) -> [AlertmanagerConfiguration] {
        var targets: [AlertmanagerConfiguration] = []
        for (index, table) in try reader.tables("alertmanager").enumerated() {
            var alertmanagerReader = TableReader(table: table, file: reader.file, prefix: "alertmanager[\(index + 1)].")
            let target = try readAlertmanager(&alertmanagerReader)
            if targets.contains(where: { $0.name == target.name }) {
                throw alertmanagerReader.error("url", "\(target.name) is listed twice")
            }
            try alertmanagerReader.rejectUnknownKeys()
            targets.append(target)
        }
        return targets
    }

    /// One `[[alertmanager]]` table.
    static func readAlertmanager(_ reader: inout TableReader) throws(ConfigurationError) -> AlertmanagerConfiguration {
        guard let url = try reader.string("url") else { throw reader.error("url", "is required") }
        let host = url.split(separator: "://", maxSplits: 1).dropFirst().first ?? ""
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), !host.isEmpty, !url.contains(where: \.isWhitespace) else {
            throw reader.error("url", "\"\(url)\" is not an http:// or https:// URL")
        }
        var target = AlertmanagerConfiguration(url: url.hasSuffix("/") ? String(url.dropLast()) : url)
        target.username = try reader.string("username")
        if let v = try reader.string("password_file") { target.passwordFile = try reader.absolutePath(v, key: "password_file") }
        guard (target.username == nil) == (target.passwordFile == nil) else {
            throw reader.error(target.username == nil ? "password_file" : "username", "username and password_file go together")
        }
        if let v = try reader.string("ca_file") { target.caFile = try reader.absolutePath(v, key: "ca_file") }
        if let v = try reader.duration("timeout") {
            guard v >= 1 else { throw reader.error("timeout", "must be at least 1s") }
            target.timeout = v
        }
        if let v = try reader.duration("repost_interval") {
            guard v >= 10 else { throw reader.error("repost_interval", "must be at least 10s") }
            target.repostInterval = v
        }
        if let v = try reader.string("host") {
            guard !v.isEmpty else { throw reader.error("host", "is empty") }
            target.host = v
        }
        return target
    }
}
