/// Parses checksum lists: GNU coreutils output (`HEX  NAME`, `HEX *NAME`) and BSD tag lines
/// (`SHA256 (NAME) = HEX`). A line that starts with `\` has an escaped name (`\\`, `\n`, `\r`),
/// as coreutils writes names that hold a backslash or a newline.
struct ChecksumListParser {
    let file: String
    let format: ManifestFormat

    func parse(_ text: [UInt8], into builder: inout ManifestBuilder) throws(ManifestError) {
        reserve(for: text, in: &builder)
        try forEachLine(of: text) { (rawLine, lineNumber) throws(ManifestError) in
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            if line.first == UInt8(ascii: "#") { return }
            if format != .bsd, addPlainLine(line, lineNumber, &builder) { return }
            try builder.add(try format == .bsd ? parseTagLine(line, lineNumber) : parseGNULine(line, lineNumber))
        }
        if builder.entries.isEmpty {
            throw ManifestError(file: file, line: nil, message: "the manifest lists no entries")
        }
    }

    /// Makes room for the whole list at once, estimated from its line count and the length of
    /// its first digest (growing by doubling would hold two copies of a million names).
    private func reserve(for text: [UInt8], in builder: inout ManifestBuilder) {
        let lineCount = text.reduce(into: 0) { count, byte in if byte == 0x0a { count += 1 } } + 1
        guard lineCount > 1024 else { return }
        let firstLine = text.prefix { $0 != 0x0a }
        var hexLength = 64
        if format != .bsd, let space = firstLine.firstIndex(of: 0x20) {
            hexLength = space - (firstLine.first == UInt8(ascii: "\\") ? 1 : 0)
        }
        let digestLength = max(hexLength, 32) / 2 + 1
        let overhead = format == .bsd ? hexLength + 12 : hexLength + 3
        builder.reserveCapacity(
            entries: lineCount, pathBytes: max(text.count - lineCount * overhead, 0), digestBytes: lineCount * digestLength)
    }

    /// `HEX  NAME` with nothing escaped, added without building a `ManifestEntry` (a million
    /// lines are parsed twice as fast). False for any other line, and for a name listed before
    /// or a digit that is not hex: `parseGNULine` then says what is wrong or compares the two.
    private func addPlainLine(_ line: ArraySlice<UInt8>, _ number: Int, _ builder: inout ManifestBuilder) -> Bool {
        line.withUnsafeBufferPointer { line in
            guard line.first != UInt8(ascii: "\\"),
                  let space = line.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }),
                  let algorithm = plainAlgorithm(hexLength: space) else { return false }
            var nameStart = space + 1
            if nameStart < line.count, line[nameStart] == 0x20 || line[nameStart] == UInt8(ascii: "*") { nameStart += 1 }
            let raw = UnsafeBufferPointer(rebasing: line[nameStart...])
            let name = EntryPath.normalizedRange(raw)
            guard !name.isEmpty else { return false }
            return builder.addChecksum(
                name: UnsafeBufferPointer(rebasing: raw[name]), algorithm: algorithm,
                hex: UnsafeBufferPointer(rebasing: line[..<space]), line: number)
        }
    }

    /// The algorithm of a plain line's digest: by its length, or BLAKE2b in a b2sum list.
    private func plainAlgorithm(hexLength: Int) -> DigestAlgorithm? {
        format == .b2sum ? (hexLength == 128 ? .blake2b : nil) : DigestAlgorithm(hexLength: hexLength)
    }

    private func parseGNULine(_ line: ArraySlice<UInt8>, _ number: Int) throws(ManifestError) -> ManifestEntry {
        var rest = line
        let escaped = rest.first == UInt8(ascii: "\\")
        if escaped { rest = rest.dropFirst() }
        guard let space = rest.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) else {
            throw error(number, "expected \"HEX  NAME\" (a digest, two spaces, a name)")
        }
        let hex = rest[..<space]
        guard let algorithm = plainAlgorithm(hexLength: hex.count) else {
            if format == .b2sum {
                throw error(number, "a b2sum digest has 128 characters (BLAKE2b-512; shorter ones, from b2sum -l, are not read), not \(hex.count)")
            }
            throw error(number, "a digest of \(hex.count) characters matches no algorithm (md5 32, sha1 40, sha224 56, sha256 64, sha384 96, sha512 128)")
        }
        guard let bytes = Hex.decode(bytes: hex) else {
            throw error(number, "the digest \"\(String(decoding: hex, as: UTF8.self))\" is not hexadecimal")
        }
        let digest = Digest(algorithm: algorithm, bytes: bytes)
        var name = rest[(space + 1)...]
        // "HEX  NAME" (text mode) or "HEX *NAME" (binary mode); a single space is accepted too.
        if let mark = name.first, mark == 0x20 || mark == UInt8(ascii: "*") { name = name.dropFirst() }
        let path = try decodeName(name, escaped: escaped, number)
        return ManifestEntry(path: path, type: nil, digests: [digest], line: number)
    }

    private func parseTagLine(_ line: ArraySlice<UInt8>, _ number: Int) throws(ManifestError) -> ManifestEntry {
        var rest = line
        let escaped = rest.first == UInt8(ascii: "\\")
        if escaped { rest = rest.dropFirst() }
        guard let open = rest.firstIndex(of: 0x20), rest[(open + 1)...].first == UInt8(ascii: "(") else {
            throw error(number, "expected \"ALGORITHM (NAME) = HEX\"")
        }
        let tag = String(decoding: rest[..<open], as: UTF8.self)
        guard let algorithm = DigestAlgorithm.allCases.first(where: { $0.bsdTag == tag }) else {
            throw error(number, "unknown algorithm \"\(tag)\" (expected MD5, SHA1, SHA256, SHA384, SHA512 or BLAKE2b)")
        }
        let separator = Array(") = ".utf8)
        guard let close = lastRange(of: separator, in: rest) else {
            throw error(number, "expected \") = \" between the name and the digest")
        }
        let hex = String(decoding: rest[(close + separator.count)...], as: UTF8.self)
        guard let digest = Digest(algorithm: algorithm, hex: hex) else {
            throw error(number, "\"\(hex)\" is not a \(algorithm.hexLength)-digit \(tag) digest")
        }
        let path = try decodeName(rest[(open + 2)..<close], escaped: escaped, number)
        return ManifestEntry(path: path, type: nil, digests: [digest], line: number)
    }

    private func decodeName(_ name: ArraySlice<UInt8>, escaped: Bool, _ number: Int) throws(ManifestError) -> EntryPath {
        guard !name.isEmpty else { throw error(number, "the name is missing") }
        guard escaped else { return EntryPath(normalizing: name) }
        var out = [UInt8]()
        out.reserveCapacity(name.count)
        var index = name.startIndex
        while index < name.endIndex {
            let byte = name[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < name.endIndex else { throw error(number, "the name ends in a lone backslash") }
                switch name[index + 1] {
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                default:
                    throw error(number, "unknown escape \"\\\(Character(Unicode.Scalar(name[index + 1])))\" in the name (only \\\\, \\n and \\r)")
                }
                index += 2
            } else {
                out.append(byte)
                index += 1
            }
        }
        return EntryPath(normalizing: out)
    }

    private func lastRange(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var start = haystack.endIndex - needle.count
        while start >= haystack.startIndex {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
            start -= 1
        }
        return nil
    }

    private func error(_ line: Int, _ message: String) -> ManifestError {
        ManifestError(file: file, line: line, message: message)
    }
}
