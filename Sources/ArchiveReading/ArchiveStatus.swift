import CArchive

/// What a libarchive status means for verifyd. Every status libarchive returns goes through
/// ``ArchiveStatus/interpret(_:phase:)``: the one place they are mapped.
enum ArchiveStatus: Equatable {
    /// Go on.
    case ok
    /// Go on, but libarchive said something worth keeping (a header warning).
    case warning
    /// The end: of the entries (header phase) or of this entry's data (data phase).
    case end
    /// This entry is damaged; the archive may go on.
    case damagedEntry
    /// The archive is damaged past this point; stop reading it.
    case damagedArchive

    enum Phase { case header, data }

    static func interpret(_ status: Int32, phase: Phase) -> ArchiveStatus {
        switch (status, phase) {
        case (ARCHIVE_OK, _): .ok
        case (ARCHIVE_EOF, _): .end
        // A warning on a header (a name that does not convert, say) leaves the entry readable;
        // a warning on data (a 7z CRC mismatch, say) means the data is wrong.
        case (ARCHIVE_WARN, .header): .warning
        case (ARCHIVE_WARN, .data): .damagedEntry
        // RETRY on a header is damage: never loop on it.
        case (ARCHIVE_RETRY, .header): .damagedArchive
        case (ARCHIVE_RETRY, .data): .damagedEntry
        case (ARCHIVE_FAILED, _): .damagedEntry
        // FATAL and any other negative value: never end of data.
        default: status < 0 ? .damagedArchive : .ok
        }
    }
}
