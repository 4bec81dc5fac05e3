/// Parses mtree specifications as `bsdtar --format=mtree` (full paths, `/set` defaults) and
/// `mtree -c` (names relative to the current directory, `..` to go up) write them.
///
/// Keywords checked: type, size, mode, uid, gid, uname, gname, time, link and the md5, sha1,
/// sha256, sha384 and sha512 digests. Keywords that describe the file system rather than the
/// content (nlink, flags, inode, device, cksum, rmd160, …) are accepted and not checked.
struct MtreeParser {
    let file: String

    private static let ignoredKeywords: Set<String> = [
        "nlink", "flags", "inode", "device", "resdevice", "cksum", "contents", "tags", "optional",
        "ignore", "nochange", "rmd160", "rmd160digest", "ripemd160digest", "sha384digest_", "noschange",
    ]

    func parse(_ text: [UInt8], into builder: inout ManifestBuilder) throws(ManifestError) {
        var state = State()
        var pending: [UInt8] = []
        var pendingStart = 0
        try forEachLine(of: text) { (rawLine, lineNumber) throws(ManifestError) in
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if pending.isEmpty { pendingStart = lineNumber }
            // A line ending in a backslash continues on the next line.
            if line.last == UInt8(ascii: "\\"), line.dropLast().last != UInt8(ascii: "\\") {
                pending += line.dropLast()
                pending.append(0x20)
                return
            }
            pending += line
            let logical = pending
            pending = []
            if let entry = try entry(logical, pendingStart, &state) { try builder.add(entry) }
        }
        if !pending.isEmpty { throw error(pendingStart, "the file ends inside a continued line") }
        if builder.entries.isEmpty { throw ManifestError(file: file, line: nil, message: "the mtree specification lists no entries") }
    }

    /// What the lines so far set: the `/set` defaults, and the directory `mtree -c` names are in.
    private struct State {
        var defaults = [String: String]()
        var directory: [[UInt8]] = []
    }

    /// The entry of one logical line; nil for a comment, a command or the top directory itself.
    private func entry(_ logical: [UInt8], _ number: Int, _ state: inout State) throws(ManifestError) -> ManifestEntry? {
        let words = logical.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map { String(decoding: $0, as: UTF8.self) }
        guard let first = words.first, !first.hasPrefix("#") else { return nil }
        if try command(words, number, &state) { return nil }
        let nameBytes = try unvis(Array(logical.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })[0]), number)
        var keywords = state.defaults
        for word in words.dropFirst() {
            let (key, value) = try keyValue(word, number)
            keywords[key] = value
        }
        let fullPath: [UInt8]
        let isRelative = !nameBytes.contains(UInt8(ascii: "/"))
        if isRelative {
            fullPath = (state.directory + [nameBytes]).joined(separator: [UInt8(ascii: "/")]).map { $0 }
        } else {
            fullPath = nameBytes
        }
        var entry = try makeEntry(path: fullPath, keywords: keywords, number)
        if isRelative, entry.type == .directory {
            state.directory.append(nameBytes)
        }
        if entry.path.bytes.isEmpty { return nil }  // the top directory itself
        entry.line = number
        return entry
    }

    /// Carries out `/set`, `/unset` and `..`; true when the line was one of them.
    private func command(_ words: [String], _ number: Int, _ state: inout State) throws(ManifestError) -> Bool {
        switch words[0] {
        case "/set":
            for word in words.dropFirst() {
                let (key, value) = try keyValue(word, number)
                state.defaults[key] = value
            }
        case "/unset":
            for word in words.dropFirst() {
                if word == "all" { state.defaults.removeAll() } else { state.defaults[word] = nil }
            }
        case "..":
            guard !state.directory.isEmpty else { throw error(number, "\"..\" above the top directory") }
            state.directory.removeLast()
        case let first where first.hasPrefix("/"):
            throw error(number, "unknown special command \"\(first)\" (expected /set or /unset)")
        default:
            return false
        }
        return true
    }

    private func makeEntry(path: [UInt8], keywords: [String: String], _ number: Int) throws(ManifestError) -> ManifestEntry {
        var entry = ManifestEntry(path: EntryPath(normalizing: path), line: number)
        for (key, value) in keywords.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "type":
                guard let type = EntryType(mtreeKeyword: value) else {
                    throw error(number, "type=\(value) is not an mtree type (file, dir, link, char, block, fifo, socket)")
                }
                entry.type = type
            case "size":
                guard let size = Int64(value), size >= 0 else { throw error(number, "size=\(value) is not a byte count") }
                entry.size = size
            case "mode":
                guard let mode = UInt32(value, radix: 8), mode <= 0o7777 else {
                    throw error(number, "mode=\(value) is not an octal permission mode")
                }
                entry.mode = mode
            case "uid":
                guard let uid = Int64(value), uid >= 0 else { throw error(number, "uid=\(value) is not a user id") }
                entry.uid = uid
            case "gid":
                guard let gid = Int64(value), gid >= 0 else { throw error(number, "gid=\(value) is not a group id") }
                entry.gid = gid
            case "uname": entry.userName = value
            case "gname": entry.groupName = value
            case "time":
                let seconds = value.split(separator: ".", maxSplits: 1).first.map(String.init) ?? value
                guard let time = Int64(seconds) else { throw error(number, "time=\(value) is not SECONDS.NANOSECONDS") }
                entry.mtime = time
            case "link":
                entry.linkTarget = try unvis(Array(value.utf8), number)
            case "md5", "md5digest": try addDigest(.md5, value, to: &entry, key, number)
            case "sha1", "sha1digest": try addDigest(.sha1, value, to: &entry, key, number)
            case "sha256", "sha256digest": try addDigest(.sha256, value, to: &entry, key, number)
            case "sha384", "sha384digest": try addDigest(.sha384, value, to: &entry, key, number)
            case "sha512", "sha512digest": try addDigest(.sha512, value, to: &entry, key, number)
            default:
                guard MtreeParser.ignoredKeywords.contains(key) else {
                    throw error(number, "unknown mtree keyword \"\(key)\"")
                }
            }
        }
        if entry.type != .file, entry.type != nil {
            entry.digests = []  // digests only make sense for files
        }
        return entry
    }

    private func addDigest(_ algorithm: DigestAlgorithm, _ value: String, to entry: inout ManifestEntry, _ key: String, _ number: Int) throws(ManifestError) {
        guard let digest = Digest(algorithm: algorithm, hex: value) else {
            throw error(number, "\(key)=\(value) is not a \(algorithm.hexLength)-digit hex digest")
        }
        entry.digests.append(digest)
    }

    private func keyValue(_ word: String, _ number: Int) throws(ManifestError) -> (String, String) {
        guard let equals = word.firstIndex(of: "=") else {
            throw error(number, "expected keyword=value, found \"\(word)\"")
        }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }

    /// Decodes vis(3) escapes as mtree writers use them: `\ooo` octal, `\\` and C-style letters.
    func unvis(_ bytes: [UInt8], _ number: Int) throws(ManifestError) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "\\")) else { return bytes }
        var out = [UInt8]()
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { throw error(number, "a name ends in a lone backslash") }
            let next = bytes[index + 1]
            if (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(next) {
                var value = 0
                var digits = 0
                while digits < 3, index + 1 + digits < bytes.count,
                      (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[index + 1 + digits]) {
                    value = value * 8 + Int(bytes[index + 1 + digits] - UInt8(ascii: "0"))
                    digits += 1
                }
                guard value <= 255 else { throw error(number, "octal escape out of range in a name") }
                out.append(UInt8(value))
                index += 1 + digits
                continue
            }
            let decoded: UInt8
            switch next {
            case UInt8(ascii: "\\"): decoded = UInt8(ascii: "\\")
            case UInt8(ascii: "n"): decoded = 0x0a
            case UInt8(ascii: "t"): decoded = 0x09
            case UInt8(ascii: "r"): decoded = 0x0d
            case UInt8(ascii: "s"): decoded = 0x20
            case UInt8(ascii: "a"): decoded = 0x07
            case UInt8(ascii: "b"): decoded = 0x08
            case UInt8(ascii: "f"): decoded = 0x0c
            case UInt8(ascii: "v"): decoded = 0x0b
            case UInt8(ascii: "#"): decoded = UInt8(ascii: "#")
            case UInt8(ascii: "="): decoded = UInt8(ascii: "=")
            default:
                throw error(number, "unknown escape \"\\\(Character(Unicode.Scalar(next)))\" in a name")
            }
            out.append(decoded)
            index += 2
        }
        return out
    }

    private func error(_ line: Int, _ message: String) -> ManifestError {
        ManifestError(file: file, line: line, message: message)
    }
}
