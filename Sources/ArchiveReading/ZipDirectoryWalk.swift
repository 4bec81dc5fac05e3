import VerifyCore

/// A zip's entries as its central directory lists them, for a sample: the directory is the
/// zip's index, so the entries not sampled cost nothing (libarchive reads every member's local
/// header to list the entries, and that header walk alone, as `bsdtar -tf` does it, takes about 0.18 times a full verify).
///
/// Only a zip whose every entry the directory decides for certain is walked this way, so that
/// the entries are those libarchive would list, with the same names, types and sizes, in the
/// same order (by offset in the file): every member plain (`ZipCatalog.isPlain`: stored or
/// deflated, not encrypted) and named once; names in ASCII, or valid UTF-8 when the member says
/// so, without a Unicode Path field or a backslash; written by an MS-DOS or Unix host whose
/// attributes say file or folder, as the name's trailing slash does. Any other zip is read by
/// libarchive as before.
///
/// What this does not look at: the local headers and data of members not sampled (a sample
/// reads them for the sampled members only, and any doubt there sends the member to libarchive).
enum ZipDirectoryWalk {
    /// Whether every member is certain.
    static func canWalk(_ directory: ZipDirectory) -> Bool {
        directory.plainCount == directory.members.count && directory.members.allSatisfy {
            !$0.hasUnicodePath && hasPlainName($0) && type(of: $0) != nil
        }
    }

    /// The header of a member of a zip that `canWalk`.
    static func header(_ member: ZipMember) -> EntryHeader {
        EntryHeader(rawPath: member.name, type: type(of: member) ?? .unknown, size: member.size)
    }

    /// libarchive's name of the format, which it takes from the last entry read.
    static func formatName(_ last: ZipMember) -> String {
        let version = last.versionNeeded
        return "ZIP \(version / 10).\(version % 10) (\(last.method == 0 ? "uncompressed" : "deflation"))"
    }

    private static func hasPlainName(_ member: ZipMember) -> Bool {
        let name = member.name
        guard !name.isEmpty, !name.contains(0), !name.contains(UInt8(ascii: "\\")) else { return false }
        if name.allSatisfy({ $0 < 0x80 }) { return true }
        return member.flags & 0x0800 != 0 && String(validating: name, as: UTF8.self) != nil
    }

    /// File or folder, when the host's attributes and the trailing slash agree.
    private static func type(of member: ZipMember) -> EntryType? {
        let endsWithSlash = member.name.last == UInt8(ascii: "/")
        let isFolder: Bool
        switch member.versionMadeBy >> 8 {
        case 0:  // MS-DOS: the folder bit
            isFolder = member.externalAttributes & 0x10 != 0
        case 3:  // Unix: the mode's file type
            switch (member.externalAttributes >> 16) & 0o170000 {
            case 0o100000: isFolder = false
            case 0o040000: isFolder = true
            default: return nil
            }
        default:
            return nil
        }
        guard isFolder == endsWithSlash else { return nil }
        guard !isFolder || member.size == 0 else { return nil }
        return isFolder ? .directory : .file
    }
}
