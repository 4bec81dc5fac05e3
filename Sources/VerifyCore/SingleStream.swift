/// Naming the content of a single-stream backup (`db.sql.gz` holds `db.sql`), so that a manifest
/// line for the decompressed bytes can be matched to it.
public enum SingleStream {
    /// The suffixes of the compressors whose output is read as one stream.
    public static let compressionSuffixes = [".gz", ".zst", ".zstd", ".xz", ".bz2", ".lz4", ".lz", ".lzma", ".z", ".Z"]

    /// The name of the stream's content: the file name without its compression suffix
    /// (`db.sql.gz` gives `db.sql`), or the file name itself. When the manifest has exactly one
    /// entry named `-` (what `sha256sum` writes for its standard input), that name.
    public static func contentName(archivePath: String, manifestPaths: [EntryPath]) -> EntryPath {
        if manifestPaths.count == 1, manifestPaths[0].description == "-" { return manifestPaths[0] }
        let fileName = archivePath.split(separator: "/").last.map(String.init) ?? archivePath
        for suffix in compressionSuffixes where fileName.hasSuffix(suffix) && fileName.count > suffix.count {
            return EntryPath(String(fileName.dropLast(suffix.count)))
        }
        return EntryPath(fileName)
    }

    /// Whether a manifest is the digest of the file itself rather than a list of what is in it:
    /// its only entry is named as the file (`sha256sum db.sql.gz > db.sql.gz.sha256`).
    public static func manifestNamesTheFile(archivePath: String, manifestPaths: [EntryPath]) -> Bool {
        let fileName = archivePath.split(separator: "/").last.map(String.init) ?? archivePath
        return manifestPaths.count == 1 && manifestPaths[0] == EntryPath(fileName)
    }
}

extension SingleStream {
    /// What reading a stream through these filters (libarchive's names, outermost first)
    /// checked, for the report.
    public static func checks(filters: [String]) -> [String] {
        guard !filters.isEmpty else { return ["uncompressed: no check of its own (the digests and the dump's end are all)"] }
        return filters.map { filter in
            switch filter {
            case "gzip": return "gzip: CRC-32 and ISIZE of every member"
            case "zstd": return "zstd: every frame decoded, with its checksum where the frame has one"
            case "xz", "lzma": return "\(filter): decoded to its end with its integrity check"
            case "bzip2": return "bzip2: the CRC of every block and of the stream"
            case "lz4": return "lz4: every frame decoded, with its checksums where the frame has them"
            case "lzip": return "lzip: CRC-32 and sizes of every member"
            default: return "\(filter): decoded to its end"
            }
        }
    }
}
