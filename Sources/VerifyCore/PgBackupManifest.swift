import Crypto

/// PostgreSQL's `backup_manifest`, as `pg_basebackup` writes it (versions 1 and 2): JSON with
/// `Files` (`Path` or hex `Encoded-Path`, `Size`, `Checksum-Algorithm`, `Checksum`), `WAL-Ranges`
/// and `Manifest-Checksum`, the SHA-256 of the text up to and including the newline before that
/// key's line. That checksum is checked before anything else: a manifest changed after
/// pg_basebackup wrote it is an error, never a reference.
///
/// Each file becomes an entry of type file with its size and checksum (`CRC32C` by default,
/// `SHA224`, `SHA256`, `SHA384`, `SHA512`; `NONE` checks the size only). `Last-Modified` is not
/// checked (pg_verifybackup does not either).
enum PgBackupManifest {
    static let versionKey = "PostgreSQL-Backup-Manifest-Version"

    /// Whether the text starts as pg_basebackup starts a manifest.
    static func looksLike(_ line: String) -> Bool {
        line.hasPrefix("{") && line.dropFirst().drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("\"\(versionKey)\"")
    }

    static func parse(_ text: [UInt8], file: String, into builder: inout ManifestBuilder) throws(ManifestError) {
        try checkManifestChecksum(text, file: file)
        let root: JSONValue
        do {
            root = try JSONValue.parse(text)
        } catch {
            throw ManifestError(file: file, line: error.line, message: "invalid JSON: \(error.message)")
        }
        guard case .object(_, let rootLine) = root, let version = root[versionKey]?.integerValue else {
            throw ManifestError(file: file, line: 1, message: "\"\(versionKey)\" is missing: not a PostgreSQL backup manifest")
        }
        guard version == 1 || version == 2 else {
            throw ManifestError(file: file, line: rootLine, message: "\(versionKey) \(version) is not supported (1 and 2 are)")
        }
        guard let files = root["Files"]?.arrayValue else {
            throw ManifestError(file: file, line: rootLine, message: "\"Files\" (an array) is missing")
        }
        for (index, item) in files.enumerated() {
            try builder.add(try entry(item, index: index, file: file))
        }
        if builder.entries.isEmpty { throw ManifestError(file: file, line: rootLine, message: "the manifest lists no files") }
    }

    /// The SHA-256 of everything up to and including the second-to-last newline, against the
    /// `Manifest-Checksum` on the last line (PostgreSQL's `verify_manifest_checksum`).
    static func checkManifestChecksum(_ text: [UInt8], file: String) throws(ManifestError) {
        var end = text.count
        while end > 0, text[end - 1] == 0x0a || text[end - 1] == 0x0d { end -= 1 }
        guard let newline = text[..<end].lastIndex(of: 0x0a) else {
            throw ManifestError(file: file, line: nil, message: "no \"Manifest-Checksum\" line at the end: the manifest is incomplete")
        }
        let lastLine = String(decoding: text[(newline + 1)..<end], as: UTF8.self)
        let lineNumber = text[...newline].reduce(1) { $1 == 0x0a ? $0 + 1 : $0 }
        let prefix = "\"Manifest-Checksum\": \""
        guard lastLine.hasPrefix(prefix), lastLine.hasSuffix("\"}") else {
            throw ManifestError(
                file: file, line: lineNumber,
                message: "the last line must be the \"Manifest-Checksum\" (the manifest is incomplete or was rewritten)")
        }
        let expected = String(lastLine.dropFirst(prefix.count).dropLast(2)).lowercased()
        let actual = Hex.encode(SHA256.hash(data: text[...newline]))
        guard expected == actual else {
            throw ManifestError(
                file: file, line: lineNumber,
                message: "the Manifest-Checksum does not match the manifest (expected \(expected), computed \(actual)): it was changed after pg_basebackup wrote it")
        }
    }

    private static func entry(_ item: JSONValue, index: Int, file: String) throws(ManifestError) -> ManifestEntry {
        guard case .object(_, let line) = item else {
            throw ManifestError(file: file, line: nil, message: "Files[\(index)] is not an object")
        }
        func fail(_ message: String) -> ManifestError {
            ManifestError(file: file, line: line, message: "Files[\(index)]: \(message)")
        }
        let pathBytes: [UInt8]
        if let path = item["Path"]?.stringValue, !path.isEmpty {
            pathBytes = Array(path.utf8)
        } else if let encoded = item["Encoded-Path"]?.stringValue, let bytes = Hex.decode(encoded), !bytes.isEmpty {
            pathBytes = bytes
        } else {
            throw fail("\"Path\" (or hex \"Encoded-Path\") is missing")
        }
        guard let size = item["Size"]?.integerValue, size >= 0 else { throw fail("\"Size\" must be a whole number of bytes") }
        var entry = ManifestEntry(path: EntryPath(normalizing: pathBytes), type: .file, size: size, line: line)
        let algorithm = item["Checksum-Algorithm"]?.stringValue ?? "NONE"
        guard algorithm != "NONE" else { return entry }
        guard let digestAlgorithm = digestAlgorithm(algorithm) else {
            throw fail("unknown Checksum-Algorithm \"\(algorithm)\"")
        }
        guard let hex = item["Checksum"]?.stringValue, let digest = Digest(algorithm: digestAlgorithm, hex: hex) else {
            throw fail("\"Checksum\" must be \(digestAlgorithm.hexLength) hex digits for \(algorithm)")
        }
        entry.digests = [digest]
        return entry
    }

    private static func digestAlgorithm(_ name: String) -> DigestAlgorithm? {
        switch name {
        case "CRC32C": .crc32c
        case "SHA224": .sha224
        case "SHA256": .sha256
        case "SHA384": .sha384
        case "SHA512": .sha512
        default: nil
        }
    }
}

extension PgBackupManifest {
    /// A manifest as pg_basebackup writes it (files only; an algorithm PostgreSQL does not
    /// know is written as `NONE`), with its `Manifest-Checksum`: for tests and tools.
    static func write(_ entries: [ManifestEntry], algorithm: DigestAlgorithm) -> [UInt8] {
        let names: [DigestAlgorithm: String] = [.crc32c: "CRC32C", .sha224: "SHA224", .sha256: "SHA256", .sha384: "SHA384", .sha512: "SHA512"]
        let files = entries.filter { $0.type == nil || $0.type == .file }.map { entry -> String in
            let path = entry.path.string.map { "\"Path\": " + JSONValue.string($0).serialized() }
                ?? "\"Encoded-Path\": \"\(Hex.encode(entry.path.bytes))\""
            var line = "{ \(path), \"Size\": \(entry.size ?? 0), \"Last-Modified\": \"\(entry.mtime.map(String.init) ?? "0")\""
            if let name = names[algorithm], let digest = entry.digests.first(where: { $0.algorithm == algorithm }) {
                line += ", \"Checksum-Algorithm\": \"\(name)\", \"Checksum\": \"\(digest.hex)\""
            }
            return line + " }"
        }
        var text = "{ \"\(versionKey)\": 1,\n\"Files\": [\n" + files.joined(separator: ",\n") + "\n],\n"
        text += "\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/2000100\" }\n],\n"
        let checksum = Hex.encode(SHA256.hash(data: Array(text.utf8)))
        return Array((text + "\"Manifest-Checksum\": \"\(checksum)\"}\n").utf8)
    }
}
