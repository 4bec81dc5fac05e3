/// Formats that cannot be verified from a stream (`verifyctl check -`): their reader needs to
/// seek (an index at the end, offsets into the file). Recognised by their first bytes, so that a
/// stream of one is refused at once with the way out (`--spool DIR`), not after a read that
/// fails with a reason about seeking.
public enum SeekingFormat: String, Sendable, CaseIterable {
    /// 7-Zip: its header (the list of entries and how they are packed) is at the end.
    case sevenZip = "7-Zip"
    /// pg_dump's custom format: its table of contents points at data blocks by offset.
    case pgDumpCustom = "pg_dump custom format"

    /// The first bytes that name the format.
    public var magic: [UInt8] {
        switch self {
        case .sevenZip: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]
        case .pgDumpCustom: Array("PGDMP".utf8)
        }
    }

    /// The seeking format `head` (a stream's first bytes, as they came: not decompressed)
    /// starts with, if any.
    public static func recognise(_ head: [UInt8]) -> SeekingFormat? {
        allCases.first { head.starts(with: $0.magic) }
    }

    /// Why a stream of this format is not read, and what to do instead.
    public var streamError: String {
        "a \(rawValue) archive cannot be read from a stream (its reader seeks: "
            + (self == .sevenZip ? "the list of entries is at its end" : "its table of contents points into it")
            + "); copy it to a file first with --spool DIR, or verify the file"
    }
}
