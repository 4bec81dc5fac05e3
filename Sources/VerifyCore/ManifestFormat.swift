/// The manifest formats verifyd reads and writes.
public enum ManifestFormat: String, Sendable, CaseIterable, Codable {
    /// GNU coreutils `sha256sum` (and `sha512sum`, `sha1sum`, `md5sum`) output: `HEX  NAME`.
    case sha256sum
    /// BSD tag lines, as `sha256sum --tag` writes them: `SHA256 (NAME) = HEX`.
    case bsd
    /// coreutils `b2sum` output: `HEX  NAME` with 128-digit BLAKE2b-512 digests (which a
    /// plain list cannot tell from SHA-512 by their length). Chosen for a manifest named
    /// B2SUMS or *.b2, *.b2sum, *.blake2, *.blake2b; or named with --format / manifest_format.
    case b2sum
    /// mtree specification, as `bsdtar --format=mtree` and `mtree -c` write them.
    case mtree
    /// verifyd's own JSON manifest (docs/manifest-json.md).
    case json
    /// PostgreSQL's `backup_manifest` from `pg_basebackup` (`PgBackupManifest`).
    case pgBackupManifest = "pg_backup_manifest"

    /// Whether a checksum list's file name says it was written by `b2sum`.
    public static func namesB2sum(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map { $0.lowercased() } ?? ""
        return name == "b2sums" || [".b2", ".b2sum", ".b2sums", ".blake2", ".blake2b"].contains { name.hasSuffix($0) }
    }

    /// Guesses the format from the first meaningful line of the text: the first line that is
    /// neither blank nor a `#` comment, as `sha256sum -c` skips both (so `mtree -c`'s comment
    /// header is passed over too). mtree's `#mtree` signature decides at once when it is the
    /// first line that is not blank; after another comment it is a comment.
    public static func detect(_ text: [UInt8]) -> ManifestFormat? {
        if firstNonBlankLine(text)?.starts(with: "#mtree".utf8) == true { return .mtree }
        guard let (line, _) = firstMeaningfulLine(text) else { return nil }
        return detect(line: String(decoding: line, as: UTF8.self).trimmingLeadingSpaces())
    }

    /// The first line that is neither blank nor a `#` comment, and its 1-based number.
    public static func firstMeaningfulLine(_ text: [UInt8]) -> (ArraySlice<UInt8>, Int)? {
        var start = text.startIndex
        var number = 0
        while start < text.endIndex {
            let end = text[start...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            let line = text[start..<end]
            start = end + 1
            number += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) || line.first == UInt8(ascii: "#") { continue }
            return (line, number)
        }
        return nil
    }

    private static func firstNonBlankLine(_ text: [UInt8]) -> ArraySlice<UInt8>? {
        var start = text.startIndex
        while start < text.endIndex {
            let end = text[start...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            let line = text[start..<end]
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) { return line }
            start = end + 1
        }
        return nil
    }

    /// Whether the text holds nothing but blank lines and `#` comments.
    public static func holdsOnlyComments(_ text: [UInt8]) -> Bool { firstMeaningfulLine(text) == nil }

    private static func detect(line: String) -> ManifestFormat? {
        if PgBackupManifest.looksLike(line) { return .pgBackupManifest }
        if line.hasPrefix("{") { return .json }
        let unescaped = line.hasPrefix("\\") ? String(line.dropFirst()) : line
        if let space = unescaped.firstIndex(of: " "),
           DigestAlgorithm.allCases.contains(where: { $0.bsdTag == unescaped[..<space] }),
           unescaped[space...].hasPrefix(" (") {
            return .bsd
        }
        if let end = unescaped.firstIndex(where: { $0 == " " || $0 == "\t" }),
           DigestAlgorithm(hexLength: unescaped.distance(from: unescaped.startIndex, to: end)) != nil,
           unescaped[..<end].allSatisfy(\.isHexDigit) {
            return .sha256sum
        }
        if line.hasPrefix("/set") || line.contains("type=") || line.contains("digest=") {
            return .mtree
        }
        return nil
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }))
    }
}
