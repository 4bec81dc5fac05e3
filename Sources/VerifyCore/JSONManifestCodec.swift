/// verifyd's own JSON manifest: `{"format": "verifyd-manifest", "version": 1, "entries": [...]}`.
/// The fields are documented in docs/manifest-json.md.
public enum JSONManifestCodec {
    public static let formatName = "verifyd-manifest"
    public static let version: Int64 = 1

    static func parse(_ text: [UInt8], file: String, into builder: inout ManifestBuilder) throws(ManifestError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(text)
        } catch {
            throw ManifestError(file: file, line: error.line, message: "invalid JSON: \(error.message)")
        }
        guard case .object(_, let rootLine) = root else {
            throw ManifestError(file: file, line: 1, message: "the JSON manifest must be an object")
        }
        if let format = root["format"], format.stringValue != formatName {
            throw ManifestError(file: file, line: rootLine, message: "\"format\" must be \"\(formatName)\"")
        }
        if let version = root["version"], version.integerValue != JSONManifestCodec.version {
            throw ManifestError(file: file, line: rootLine, message: "unsupported manifest version (this verifyd reads version \(JSONManifestCodec.version))")
        }
        guard let items = root["entries"]?.arrayValue else {
            throw ManifestError(file: file, line: rootLine, message: "\"entries\" (an array) is missing")
        }
        for (index, item) in items.enumerated() {
            try builder.add(try entry(item, index: index, file: file))
        }
        if builder.entries.isEmpty { throw ManifestError(file: file, line: rootLine, message: "the manifest lists no entries") }
    }

    private static let knownKeys = Set([
        "path", "pathHex", "type", "size", "mode", "uid", "gid", "user", "group", "mtime", "link", "linkHex",
    ] + DigestAlgorithm.allCases.map(\.rawValue))

    private static func entry(_ item: JSONValue, index: Int, file: String) throws(ManifestError) -> ManifestEntry {
        guard case .object(let members, let line) = item else {
            throw ManifestError(file: file, line: nil, message: "entries[\(index)] is not an object")
        }
        let fail = { (message: String) in ManifestError(file: file, line: line, message: "entries[\(index)]: \(message)") }
        for (key, _) in members where !knownKeys.contains(key) {
            throw fail("unknown key \"\(key)\"")
        }
        var entry = ManifestEntry(path: EntryPath(normalizing: try pathBytes(item, fail)), line: line)
        if entry.path.bytes.isEmpty { throw fail("\"path\" names no entry") }
        try readContent(item, into: &entry, fail)
        try readAttributes(item, into: &entry, fail)
        if let link = item["link"] {
            guard let text = link.stringValue else { throw fail("\"link\" must be a string") }
            entry.linkTarget = Array(text.utf8)
        } else if let link = item["linkHex"] {
            guard let text = link.stringValue, let bytes = Hex.decode(text) else { throw fail("\"linkHex\" must be hex bytes") }
            entry.linkTarget = bytes
        }
        return entry
    }

    /// The entry's name: `path` (text) or `pathHex` (bytes that are not UTF-8).
    private static func pathBytes(_ item: JSONValue, _ fail: (String) -> ManifestError) throws(ManifestError) -> [UInt8] {
        if let path = item["path"] {
            guard let text = path.stringValue, !text.isEmpty else { throw fail("\"path\" must be a non-empty string") }
            return Array(text.utf8)
        } else if let hex = item["pathHex"] {
            guard let text = hex.stringValue, let bytes = Hex.decode(text), !bytes.isEmpty else { throw fail("\"pathHex\" must be hex bytes") }
            return bytes
        }
        throw fail("\"path\" (or \"pathHex\") is missing")
    }

    /// `type`, `size` and the digests.
    private static func readContent(_ item: JSONValue, into entry: inout ManifestEntry, _ fail: (String) -> ManifestError) throws(ManifestError) {
        if let type = item["type"] {
            guard let text = type.stringValue, let value = EntryType(rawValue: text), value != .unknown else {
                throw fail("\"type\" must be one of file, directory, symlink, hardlink, char, block, fifo, socket")
            }
            entry.type = value
        }
        if let size = item["size"] {
            guard let value = size.integerValue, value >= 0 else { throw fail("\"size\" must be a byte count") }
            entry.size = value
        }
        for algorithm in DigestAlgorithm.allCases {
            guard let value = item[algorithm.rawValue] else { continue }
            guard let hex = value.stringValue, let digest = Digest(algorithm: algorithm, hex: hex) else {
                throw fail("\"\(algorithm.rawValue)\" must be \(algorithm.hexLength) hex digits")
            }
            entry.digests.append(digest)
        }
    }

    /// `mode`, `uid`, `gid`, `mtime`, `user` and `group`.
    private static func readAttributes(_ item: JSONValue, into entry: inout ManifestEntry, _ fail: (String) -> ManifestError) throws(ManifestError) {
        if let mode = item["mode"] {
            guard let text = mode.stringValue, let value = UInt32(text, radix: 8), value <= 0o7777 else {
                throw fail("\"mode\" must be an octal string such as \"0644\"")
            }
            entry.mode = value
        }
        for (key, path) in [("uid", \ManifestEntry.uid), ("gid", \ManifestEntry.gid), ("mtime", \ManifestEntry.mtime)] {
            guard let value = item[key] else { continue }
            guard let number = value.integerValue, key == "mtime" || number >= 0 else { throw fail("\"\(key)\" must be an integer") }
            entry[keyPath: path] = number
        }
        for (key, path) in [("user", \ManifestEntry.userName), ("group", \ManifestEntry.groupName)] {
            guard let value = item[key] else { continue }
            guard let text = value.stringValue else { throw fail("\"\(key)\" must be a string") }
            entry[keyPath: path] = text
        }
    }

    /// One entry as a JSON object, in the manifest's key order.
    static func object(for entry: ManifestEntry) -> JSONValue {
        var members = [(String, JSONValue)]()
        if let text = entry.path.string {
            members.append(("path", .string(text)))
        } else {
            members.append(("pathHex", .string(Hex.encode(entry.path.bytes))))
        }
        if let type = entry.type { members.append(("type", .string(type.rawValue))) }
        if let size = entry.size { members.append(("size", .integer(size))) }
        for digest in entry.digests { members.append((digest.algorithm.rawValue, .string(digest.hex))) }
        if let link = entry.linkTarget {
            if let text = String(validating: link, as: UTF8.self) {
                members.append(("link", .string(text)))
            } else {
                members.append(("linkHex", .string(Hex.encode(link))))
            }
        }
        if let mode = entry.mode { members.append(("mode", .string(String(mode, radix: 8).leftPadded(to: 4)))) }
        if let uid = entry.uid { members.append(("uid", .integer(uid))) }
        if let gid = entry.gid { members.append(("gid", .integer(gid))) }
        if let user = entry.userName { members.append(("user", .string(user))) }
        if let group = entry.groupName { members.append(("group", .string(group))) }
        if let mtime = entry.mtime { members.append(("mtime", .integer(mtime))) }
        return .object(members)
    }
}
