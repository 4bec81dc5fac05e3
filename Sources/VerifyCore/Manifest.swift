/// The list of entries written at backup time that an archive is checked against.
public struct Manifest: Sendable {
    public var format: ManifestFormat
    public var entries: ManifestEntries

    public init(format: ManifestFormat, entries: ManifestEntries) {
        self.format = format
        self.entries = entries
    }

    public init(format: ManifestFormat, entries: [ManifestEntry]) {
        self.init(format: format, entries: ManifestEntries(entries))
    }

    /// Parses manifest text, detecting its format when `format` is nil.
    /// - Parameter file: the name used in error messages.
    /// `onProgress` is called every 4,096 entries (a watchdog's sign that parsing moves).
    public static func parse(
        _ text: [UInt8], format: ManifestFormat? = nil, file: String, onProgress: (() -> Void)? = nil
    ) throws(ManifestError) -> Manifest {
        let detected = ManifestFormat.detect(text).map { $0 == .sha256sum && ManifestFormat.namesB2sum(file) ? .b2sum : $0 }
        guard let format = format ?? detected else {
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x09 || $0 == 0x0d }) {
                throw ManifestError(file: file, line: nil, message: "the manifest is empty")
            }
            if ManifestFormat.holdsOnlyComments(text) {
                throw ManifestError(file: file, line: nil, message: "the manifest holds only comments and blank lines: it lists no entries")
            }
            throw ManifestError(
                file: file, line: ManifestFormat.firstMeaningfulLine(text)?.1 ?? 1,
                message: "unrecognised manifest format (expected sha256sum, b2sum, BSD tag, mtree, JSON or a PostgreSQL backup_manifest); use --format to name it")
        }
        var builder = ManifestBuilder(file: file)
        builder.onProgress = onProgress
        switch format {
        case .sha256sum, .b2sum, .bsd: try ChecksumListParser(file: file, format: format).parse(text, into: &builder)
        case .mtree: try MtreeParser(file: file).parse(text, into: &builder)
        case .json: try JSONManifestCodec.parse(text, file: file, into: &builder)
        case .pgBackupManifest: try PgBackupManifest.parse(text, file: file, into: &builder)
        }
        return Manifest(format: format, entries: builder.entries)
    }

    /// The algorithms any entry names.
    public var algorithms: Set<DigestAlgorithm> { entries.algorithms }
}

/// Collects the entries a parser finds. The same name twice is an error unless both lines say
/// the same thing; exact repeats are dropped.
struct ManifestBuilder {
    let file: String
    private(set) var entries = ManifestEntries()
    /// Called every 4,096 entries added.
    var onProgress: (() -> Void)?
    private var added = 0

    init(file: String) { self.file = file }

    private mutating func counted() {
        added &+= 1
        if added & 4095 == 0 { onProgress?() }
    }

    mutating func reserveCapacity(entries: Int, pathBytes: Int, digestBytes: Int) {
        self.entries.reserveCapacity(entries: entries, pathBytes: pathBytes, digestBytes: digestBytes)
    }

    /// A checksum list's plain line, the short way (`ManifestEntries.appendChecksum`); false
    /// when it must take the long way.
    mutating func addChecksum(
        name: UnsafeBufferPointer<UInt8>, algorithm: DigestAlgorithm, hex: UnsafeBufferPointer<UInt8>, line: Int
    ) -> Bool {
        counted()
        return entries.appendChecksum(name: name, algorithm: algorithm, hex: hex, line: line)
    }

    mutating func add(_ entry: ManifestEntry) throws(ManifestError) {
        counted()
        guard let index = entries.appendUnlessListed(entry) else { return }
        var previous = entries[index], current = entry
        previous.line = 0
        current.line = 0
        if previous != current {
            throw ManifestError(
                file: file, line: entry.line,
                message: "\"\(entry.path)\" is listed again with different values (first on line \(entries.line(at: index)))")
        }
    }
}

/// Calls `body` with each line of `text` (without its `\n`) and its 1-based number.
func forEachLine(of text: [UInt8], _ body: (ArraySlice<UInt8>, Int) throws(ManifestError) -> Void) throws(ManifestError) {
    var start = 0
    var number = 0
    while start <= text.count {
        number += 1
        let end = text.withUnsafeBufferPointer { all in
            UnsafeBufferPointer(rebasing: all[start...]).firstIndex(of: UInt8(ascii: "\n")).map { start + $0 }
        } ?? text.count
        try body(text[start..<end], number)
        start = end + 1
    }
}
