import VerifyCore
import VerifyProtocol

/// `[[destination]]`: one backup folder and how to verify it. The keys are read in the order of
/// docs/configuration.md, so that the first of several mistakes is the one reported.
extension ConfigurationLoader {
    static func readDestination(_ reader: inout TableReader) throws(ConfigurationError) -> DestinationConfiguration {
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
        try readManifest(&reader, into: &destination)
        try readChecks(&reader, into: &destination)
        try readSchedule(&reader, into: &destination)
        try readRunLimits(&reader, into: &destination)
        try readKeeping(&reader, into: &destination)
        destination.decryption = try readDecryptionKeys(&reader)
        return destination
    }

    /// Where the manifest is (beside the archive, inside it, or none) and its format.
    private static func readManifest(_ reader: inout TableReader, into destination: inout DestinationConfiguration) throws(ConfigurationError) {
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
                throw reader.error("manifest_format", "\"\(format)\" is not one of auto, sha256sum, b2sum, bsd, mtree, json, pg_backup_manifest")
            }
            destination.manifestFormat = parsed
        }
    }

    /// What a run checks: the file format, the archive's digest, the paths, strictness, the sample.
    private static func readChecks(_ reader: inout TableReader, into destination: inout DestinationConfiguration) throws(ConfigurationError) {
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
    }

    /// When archives are verified and how fresh the newest must be.
    private static func readSchedule(_ reader: inout TableReader, into destination: inout DestinationConfiguration) throws(ConfigurationError) {
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
    }

    /// How a run reads (stream or restore) and what bounds it: restore size, time and bytes per
    /// run, the coverage goal.
    private static func readRunLimits(_ reader: inout TableReader, into destination: inout DestinationConfiguration) throws(ConfigurationError) {
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
    }

    /// Which archives are kept track of, for how long, and what in the folder is trusted.
    private static func readKeeping(_ reader: inout TableReader, into destination: inout DestinationConfiguration) throws(ConfigurationError) {
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
        if let v = try reader.string("manifest_signature") {
            guard let policy = ManifestSignaturePolicy(rawValue: v) else {
                throw reader.error("manifest_signature", "\"\(v)\" is not one of required, if-present, off")
            }
            destination.manifestSignature = policy
        }
        if let v = try reader.integer("max_scan_entries", range: 100...100_000_000) { destination.maxScanEntries = v }
        if let v = try reader.duration("future_mtime_tolerance") {
            guard v >= 60 else { throw reader.error("future_mtime_tolerance", "must be at least 1m (clocks of backup hosts drift)") }
            destination.futureMtimeTolerance = v
        }
    }
}
