/// The list of entries written at backup time that an archive is checked against.
public struct Manifest: Sendable {
    public var format: ManifestFormat
    public var entries: [ManifestEntry]

    public init(format: ManifestFormat, entries: [ManifestEntry]) {
        self.format = format
        self.entries = entries
    }

    /// Parses manifest text, detecting its format when `format` is nil.
    /// - Parameter file: the name used in error messages.
    public static func parse(_ text: [UInt8], format: ManifestFormat? = nil, file: String) throws(ManifestError) -> Manifest {
        guard let format = format ?? ManifestFormat.detect(text) else {
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x09 || $0 == 0x0d }) {
                throw ManifestError(file: file, line: nil, message: "the manifest is empty")
            }
            throw ManifestError(
                file: file, line: 1,
                message: "unrecognised manifest format (expected sha256sum, BSD tag, mtree or JSON); use --format to name it")
        }
        let entries: [ManifestEntry]
        switch format {
        case .sha256sum, .bsd: entries = try ChecksumListParser(file: file, format: format).parse(text)
        case .mtree: entries = try MtreeParser(file: file).parse(text)
        case .json: entries = try JSONManifestCodec.parse(text, file: file)
        }
        return Manifest(format: format, entries: try removingDuplicates(entries, file: file))
    }

    /// The same name twice is an error unless both lines say the same thing; exact repeats are dropped.
    private static func removingDuplicates(_ entries: [ManifestEntry], file: String) throws(ManifestError) -> [ManifestEntry] {
        var firstIndex = [EntryPath: Int](minimumCapacity: entries.count)
        var kept = [ManifestEntry]()
        kept.reserveCapacity(entries.count)
        for entry in entries {
            if let index = firstIndex[entry.path] {
                var previous = kept[index], current = entry
                previous.line = 0
                current.line = 0
                if previous != current {
                    throw ManifestError(
                        file: file, line: entry.line,
                        message: "\"\(entry.path)\" is listed again with different values (first on line \(kept[index].line))")
                }
            } else {
                firstIndex[entry.path] = kept.count
                kept.append(entry)
            }
        }
        return kept
    }

    /// The algorithms any entry names.
    public var algorithms: Set<DigestAlgorithm> {
        Set(entries.flatMap { $0.digests.map(\.algorithm) })
    }
}
