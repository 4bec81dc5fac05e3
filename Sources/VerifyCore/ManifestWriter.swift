/// Writes manifests in every format verifyd reads.
public struct ManifestWriter: Sendable {
    public var format: ManifestFormat
    public var algorithm: DigestAlgorithm

    public init(format: ManifestFormat, algorithm: DigestAlgorithm) {
        self.format = format
        self.algorithm = algorithm
    }

    /// The manifest text. Checksum lists name regular files only; mtree and JSON name every entry.
    public func write(_ entries: [ManifestEntry]) -> [UInt8] {
        let sorted = entries.sorted(by: { $0.path < $1.path })
        var out = [UInt8]()
        switch format {
        case .sha256sum, .b2sum, .bsd:
            for entry in sorted {
                guard let digest = entry.digests.first(where: { $0.algorithm == algorithm }) else { continue }
                out += checksumLine(entry.path.bytes, digest)
            }
        case .mtree:
            out += Array("#mtree\n".utf8)
            for entry in sorted { out += mtreeLine(entry) }
        case .json:
            let document = JSONValue.object([
                ("format", .string(JSONManifestCodec.formatName)),
                ("version", .integer(JSONManifestCodec.version)),
                ("entries", .array(sorted.map(JSONManifestCodec.object(for:)))),
            ])
            out += Array(document.serialized(pretty: true).utf8)
            out.append(0x0a)
        case .pgBackupManifest:
            out += PgBackupManifest.write(sorted, algorithm: algorithm)
        }
        return out
    }

    private func checksumLine(_ name: [UInt8], _ digest: Digest) -> [UInt8] {
        // coreutils: a name holding a backslash, a newline or a carriage return is escaped and
        // the line starts with a backslash.
        let needsEscape = name.contains(where: { $0 == UInt8(ascii: "\\") || $0 == 0x0a || $0 == 0x0d })
        var escapedName = [UInt8]()
        if needsEscape {
            for byte in name {
                switch byte {
                case UInt8(ascii: "\\"): escapedName += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0x0a: escapedName += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0d: escapedName += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                default: escapedName.append(byte)
                }
            }
        } else {
            escapedName = name
        }
        var line: [UInt8] = needsEscape ? [UInt8(ascii: "\\")] : []
        if format == .bsd {
            line += Array("\(digest.algorithm.bsdTag) (".utf8) + escapedName + Array(") = \(digest.hex)".utf8)
        } else {
            line += Array("\(digest.hex)  ".utf8) + escapedName
        }
        line.append(0x0a)
        return line
    }

    private func mtreeLine(_ entry: ManifestEntry) -> [UInt8] {
        var line = Array("./".utf8) + ManifestWriter.vis(entry.path.bytes)
        var keywords = [String]()
        keywords.append("type=\((entry.type ?? .file).mtreeKeyword)")
        if let mode = entry.mode { keywords.append("mode=\(String(mode, radix: 8).leftPadded(to: 4))") }
        if let uid = entry.uid { keywords.append("uid=\(uid)") }
        if let gid = entry.gid { keywords.append("gid=\(gid)") }
        if let user = entry.userName, !user.isEmpty { keywords.append("uname=\(String(decoding: ManifestWriter.vis(Array(user.utf8)), as: UTF8.self))") }
        if let group = entry.groupName, !group.isEmpty { keywords.append("gname=\(String(decoding: ManifestWriter.vis(Array(group.utf8)), as: UTF8.self))") }
        if let mtime = entry.mtime { keywords.append("time=\(mtime).000000000") }
        if let size = entry.size { keywords.append("size=\(size)") }
        if let link = entry.linkTarget { keywords.append("link=\(String(decoding: ManifestWriter.vis(link), as: UTF8.self))") }
        for digest in entry.digests { keywords.append("\(digest.algorithm.rawValue)digest=\(digest.hex)") }
        for keyword in keywords { line += Array(" \(keyword)".utf8) }
        line.append(0x0a)
        return line
    }

    /// vis(3)-style octal escapes for mtree names: every byte outside printable ASCII, and the
    /// bytes that mtree gives a meaning to.
    static func vis(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if byte > 0x20, byte < 0x7f, byte != UInt8(ascii: "\\"), byte != UInt8(ascii: "#"), byte != UInt8(ascii: "=") {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "\\"))
                out += Array(String(byte, radix: 8).leftPadded(to: 3).utf8)
            }
        }
        return out
    }
}
