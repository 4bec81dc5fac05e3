import CArchive
import Foundation
import VerifyCore

/// Writes the entries a run reads into a scratch folder with libarchive's disk writer, so that
/// a restore is proved, not assumed. Hostile names are refused twice: by our own check (no `..`
/// component, no absolute path, also for hard-link targets) and by libarchive's
/// `ARCHIVE_EXTRACT_SECURE_*` flags. The process works in the scratch folder (`chdir`), which is
/// why restores run in the worker process (or in `verifyctl check`), one at a time.
public final class RestoreWriter {
    public let root: String
    /// Most bytes the restore may write; beyond it the run stops (a decompression bomb).
    public let limit: Int64
    public private(set) var bytesWritten: Int64 = 0
    public private(set) var entriesWritten = 0
    /// Entries refused, and problems writing: (path, why).
    public private(set) var refused: [(EntryPath, String)] = []
    public private(set) var failed: [(EntryPath, String)] = []
    public private(set) var limitExceeded = false
    /// The space the restore leaves free on its file system.
    public let reserve: RestoreReserve
    /// Why the restore stopped short of its file system's reserve, or nil.
    public private(set) var spaceShortage: String?
    private var bytesSinceSpaceCheck: Int64 = 0
    /// Free space is checked before the first write, then every this many bytes and every
    /// 256 files: each check asks for this much room beyond the reserve.
    static let spaceCheckInterval: Int64 = 8 << 20
    private let disk: OpaquePointer
    private var writing = false
    private var current: EntryPath?

    public init(root: String, limit: Int64, reserve: RestoreReserve = RestoreReserve()) throws(ArchiveReadError) {
        self.root = root
        self.limit = limit
        self.reserve = reserve
        guard chdir(root) == 0 else {
            throw ArchiveReadError(code: .io, message: "cannot enter the restore folder: \(String(cString: strerror(errno)))", path: root)
        }
        if let shortage = Self.shortage(root, reserve) {
            throw ArchiveReadError(code: .resource, message: "cannot restore: \(shortage)", path: root)
        }
        guard let disk = archive_write_disk_new() else { throw ArchiveReadError(code: .resource, message: "libarchive could not allocate a disk writer", path: root) }
        var flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
            | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_NO_OVERWRITE
        if geteuid() == 0 { flags |= ARCHIVE_EXTRACT_OWNER }
        archive_write_disk_set_options(disk, flags)
        archive_write_disk_set_standard_lookup(disk)
        self.disk = disk
    }

    deinit { archive_write_free(disk) }

    /// Why a name may not be restored, or nil.
    public static func unsafeReason(_ raw: [UInt8]) -> String? {
        if raw.first == UInt8(ascii: "/") { return "absolute path" }
        if raw.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).contains(where: { $0.elementsEqual([0x2E, 0x2E]) }) {
            return "a '..' component would leave the restore folder"
        }
        return nil
    }

    /// Starts an entry; returns false when it is not written (refused or failed).
    func begin(_ entry: OpaquePointer, path raw: [UInt8], hardlinkTarget: [UInt8]?) -> Bool {
        writing = false
        let path = EntryPath(unnormalized: raw)
        current = path
        guard !limitExceeded, spaceShortage == nil else { return false }
        if entriesWritten % 256 == 255, let shortage = Self.shortage(root, reserve) {
            spaceShortage = shortage
            return false
        }
        if let reason = Self.unsafeReason(raw) ?? hardlinkTarget.flatMap(Self.unsafeReason).map({ "hard link target: \($0)" }) {
            refused.append((path, reason))
            return false
        }
        // A hard link to an entry this run did not restore (not in the sample) cannot be made.
        if let target = hardlinkTarget, access(String(decoding: target, as: UTF8.self), F_OK) != 0 { return false }
        let status = archive_write_header(disk, entry)
        guard status >= ARCHIVE_WARN else {
            let message = archive_error_string(disk).map { String(cString: $0) } ?? "write failed"
            if message.contains("..") || message.contains("symlink") || message.contains("bsolute") {
                refused.append((path, message))
            } else {
                failed.append((path, message))
            }
            return false
        }
        writing = true
        entriesWritten += 1
        return true
    }

    /// Writes a block of the current entry. Returns false once the limit is exceeded.
    func write(_ block: UnsafeRawPointer, count: Int, offset: Int64) -> Bool {
        guard writing else { return true }
        if bytesWritten + Int64(count) > limit {
            limitExceeded = true
            writing = false
            refused.append((current ?? EntryPath(""), "the restore would exceed its limit of \(limit) bytes (a decompression bomb?)"))
            return false
        }
        bytesSinceSpaceCheck += Int64(count)
        if bytesSinceSpaceCheck >= Self.spaceCheckInterval {
            bytesSinceSpaceCheck = 0
            if let shortage = Self.shortage(root, reserve) {
                spaceShortage = shortage
                writing = false
                return false
            }
        }
        let written = archive_write_data_block(disk, block, count, offset)
        if written < 0 {
            failed.append((current ?? EntryPath(""), archive_error_string(disk).map { String(cString: $0) } ?? "write failed"))
            writing = false
            return true
        }
        bytesWritten += Int64(count)
        return true
    }

    /// Why the file system of `folder` has no room for the next stretch of a restore, or nil.
    static func shortage(_ folder: String, _ reserve: RestoreReserve) -> String? {
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return nil }
        let unit = Int64(info.f_frsize > 0 ? info.f_frsize : info.f_bsize)
        let space = RestoreReserve.FileSystemSpace(
            availableBytes: Int64(info.f_bavail) * unit, totalBytes: Int64(info.f_blocks) * unit,
            availableInodes: Int64(info.f_favail), totalInodes: Int64(info.f_files))
        return reserve.shortage(space, nextBytes: spaceCheckInterval)
    }

    /// Applies what libarchive defers to the end (directory times and modes), so that the
    /// tree on disk is final before it is read back.
    public func close() {
        archive_write_close(disk)
    }

    func end() {
        if writing { archive_write_finish_entry(disk) }
        writing = false
    }

    /// The findings of the restore itself: refused entries and the limit.
    public var findings: [Finding] {
        refused.map { Finding(path: $0.0, kind: .unsafeEntry, expected: "a name inside the restore folder", actual: $0.1) }
            + failed.map { Finding(path: $0.0, kind: .corruptArchive, actual: "could not be restored: \($0.1)") }
    }
}
