/// How a `pg_basebackup -Ft` backup folder maps onto its manifest: `base.tar[.gz|.zst|.lz4|.bz2|.xz]`
/// holds the data directory, each `OID.tar[...]` the tablespace whose files the manifest lists
/// under `pg_tblspc/OID/`, and `pg_wal.tar[...]` the WAL, which the manifest lists as ranges, not
/// files (it is checked as an archive only). Pure: the caller lists the folder.
public struct BaseBackupLayout: Sendable {
    /// One tar of the backup and the part of the manifest it must hold.
    public struct Part: Sendable {
        /// The tar's file name in the folder.
        public var fileName: String
        /// What the manifest's names start with for this tar ("" for base, `pg_tblspc/OID/`).
        public var prefix: String
        /// The manifest entries this tar holds, named as inside the tar (prefix removed); nil
        /// for `pg_wal.tar`, checked without a manifest.
        public var manifest: Manifest?
    }

    public var parts: [Part]
    /// Entries whose tar is not in the folder (a tablespace tar that is gone): `missing`.
    public var missing: [ManifestEntry]

    /// What pg_verifybackup ignores by default, here too: the WAL folder (verified by ranges,
    /// and written into base.tar by `-X fetch`), and the files `-R` writes or rewrites on the
    /// client after the server made the manifest.
    static let ignoredNames: Set<String> = ["pg_wal", "postgresql.auto.conf", "recovery.signal", "standby.signal", "backup_manifest"]

    /// Whether a name of the data directory is one pg_verifybackup ignores.
    public static func isIgnored(_ path: EntryPath) -> Bool {
        let first = path.bytes.split(separator: UInt8(ascii: "/"), maxSplits: 1, omittingEmptySubsequences: true).first ?? []
        return ignoredNames.contains(String(decoding: first, as: UTF8.self))
    }

    /// The suffixes pg_basebackup gives its tars (`-z`, `--compress=…`, either side).
    static let tarSuffixes = [".tar", ".tar.gz", ".tar.zst", ".tar.lz4", ".tar.bz2", ".tar.xz"]

    /// Errors name `folder`: no base.tar, or two of one tar (`base.tar` and `base.tar.gz`).
    public static func plan(folder: String, fileNames: [String], manifest: Manifest) throws(ManifestError) -> BaseBackupLayout {
        var tars: [String: String] = [:]  // stem (base, pg_wal, OID) -> file name
        for name in fileNames.sorted() {
            guard let stem = stem(of: name) else { continue }
            if let other = tars[stem] {
                throw ManifestError(file: folder, line: nil, message: "two tars for \"\(stem)\": \(other) and \(name)")
            }
            tars[stem] = name
        }
        guard let base = tars["base"] else {
            throw ManifestError(file: folder, line: nil, message: "no base.tar (or base.tar.gz, .zst, .lz4) beside backup_manifest: not a tar-format base backup")
        }
        var byTar: [String: [ManifestEntry]] = ["base": []]
        var missing: [ManifestEntry] = []
        for entry in manifest.entries {
            if isIgnored(entry.path) { continue }
            let (stem, inner) = tablespace(of: entry.path)
            if stem != "base", tars[stem] == nil {
                missing.append(entry)
                continue
            }
            var moved = entry
            moved.path = inner
            byTar[stem, default: []].append(moved)
        }
        var parts = [Part(fileName: base, prefix: "", manifest: Manifest(format: manifest.format, entries: byTar["base"]!))]
        for (stem, entries) in byTar.sorted(by: { $0.key < $1.key }) where stem != "base" {
            parts.append(Part(fileName: tars[stem]!, prefix: "pg_tblspc/\(stem)/", manifest: Manifest(format: manifest.format, entries: entries)))
        }
        for (stem, name) in tars.sorted(by: { $0.key < $1.key }) where stem != "base" && byTar[stem] == nil {
            // pg_wal.tar, or a tablespace tar the manifest lists nothing of (an empty tablespace).
            let wal = stem == "pg_wal"
            let empty = Manifest(format: manifest.format, entries: [ManifestEntry]())
            parts.append(Part(fileName: name, prefix: wal ? "pg_wal/" : "pg_tblspc/\(stem)/", manifest: wal ? nil : empty))
        }
        return BaseBackupLayout(parts: parts, missing: missing)
    }

    /// `base`, `pg_wal` or a tablespace OID for a tar's file name; nil for any other file.
    public static func stem(of name: String) -> String? {
        guard let suffix = tarSuffixes.filter({ name.hasSuffix($0) }).max(by: { $0.count < $1.count }) else { return nil }
        let stem = String(name.dropLast(suffix.count))
        if stem == "base" || stem == "pg_wal" { return stem }
        return !stem.isEmpty && stem.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) ? stem : nil
    }

    /// The tar (`base` or the OID) a manifest name lives in, and its name inside that tar.
    static func tablespace(of path: EntryPath) -> (stem: String, inner: EntryPath) {
        let bytes = path.bytes
        let prefix = Array("pg_tblspc/".utf8)
        guard bytes.starts(with: prefix) else { return ("base", path) }
        let rest = bytes.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return ("base", path) }
        let oid = rest[..<slash]
        guard !oid.isEmpty, oid.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return ("base", path) }
        return (String(decoding: oid, as: UTF8.self), EntryPath(normalizing: rest[(slash + 1)...]))
    }
}
