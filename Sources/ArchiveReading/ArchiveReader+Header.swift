import CArchive
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// An entry's header, from libarchive's entry to verifyd's `EntryHeader`.
extension ArchiveReader {
    func makeHeader(_ entry: OpaquePointer) -> EntryHeader {
        let fileType = UInt32(archive_entry_filetype(entry))
        var type: EntryType
        switch fileType {
        case CARCHIVE_AE_IFREG: type = .file
        case CARCHIVE_AE_IFDIR: type = .directory
        case CARCHIVE_AE_IFLNK: type = .symlink
        case CARCHIVE_AE_IFCHR: type = .characterDevice
        case CARCHIVE_AE_IFBLK: type = .blockDevice
        case CARCHIVE_AE_IFIFO: type = .fifo
        case CARCHIVE_AE_IFSOCK: type = .socket
        // Formats without type bits (ar written in deterministic mode) hold plain files.
        case 0: type = .file
        default: type = .unknown
        }
        let hardlink = bytes(archive_entry_hardlink_utf8(entry)) ?? bytes(archive_entry_hardlink(entry))
        if hardlink != nil { type = .hardlink }
        return EntryHeader(
            rawPath: bytes(archive_entry_pathname_utf8(entry)) ?? bytes(archive_entry_pathname(entry)) ?? [],
            type: type,
            size: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
            mode: UInt32(archive_entry_perm(entry)),
            uid: archive_entry_uid(entry),
            gid: archive_entry_gid(entry),
            userName: archive_entry_uname_utf8(entry).map { String(cString: $0) },
            groupName: archive_entry_gname_utf8(entry).map { String(cString: $0) },
            mtime: archive_entry_mtime_is_set(entry) != 0 ? Int64(archive_entry_mtime(entry)) : nil,
            symlinkTarget: type == .symlink ? (bytes(archive_entry_symlink_utf8(entry)) ?? bytes(archive_entry_symlink(entry))) : nil,
            hardlinkTarget: hardlink,
            isEncrypted: archive_entry_is_data_encrypted(entry) != 0)
    }

    func bytes(_ pointer: UnsafePointer<CChar>?) -> [UInt8]? {
        guard let pointer else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
    }

    static func isCharsetWarning(_ message: String) -> Bool {
        message.contains("convert") || message.contains("charset") || message.contains("character set")
    }
}
