/// How a file is read: as an archive of entries, or as one stream of bytes.
///
/// With `auto`, a file libarchive recognises as an archive is read entry by entry; a compressed
/// file whose content is not an archive is read as one stream (its compression checked to its
/// end, its content hashed as one entry); an uncompressed file that is not an archive is damage
/// (a `.tar` that holds text). With `raw`, the file is always one stream, compressed or not.
public enum ArchiveFormatPolicy: String, Sendable, Codable, CaseIterable {
    case auto
    case raw
}
