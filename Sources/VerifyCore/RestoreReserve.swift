/// The space a restore must leave free on the file system of its scratch folder, so that a
/// restore (a decompression bomb, or a manifest that declares sizes larger than the disk) stops
/// before the file system is full: that file system usually also holds verifyd's history.
/// Pure: the caller passes what `statvfs` says.
public struct RestoreReserve: Sendable, Equatable {
    /// Bytes to leave free; nil: 5% of the file system, at most 1 GiB.
    public var bytes: Int64?

    public init(bytes: Int64? = nil) { self.bytes = bytes }

    /// What a file system has, in bytes and inodes (`statvfs`'s `f_bavail * f_frsize`,
    /// `f_blocks * f_frsize`, `f_favail`, `f_files`).
    public struct FileSystemSpace: Sendable, Equatable {
        public var availableBytes: Int64
        public var totalBytes: Int64
        public var availableInodes: Int64
        public var totalInodes: Int64

        public init(availableBytes: Int64, totalBytes: Int64, availableInodes: Int64, totalInodes: Int64) {
            self.availableBytes = availableBytes
            self.totalBytes = totalBytes
            self.availableInodes = availableInodes
            self.totalInodes = totalInodes
        }
    }

    /// The reserve in bytes on a file system of this size.
    public func reserveBytes(totalBytes: Int64) -> Int64 {
        bytes ?? min(max(totalBytes, 0) / 20, 1 << 30)
    }

    /// Inodes to leave free: 5% of them, at most 10,000. File systems that report no inode
    /// count (btrfs) have none to run out of.
    public static func reserveInodes(totalInodes: Int64) -> Int64 {
        min(max(totalInodes, 0) / 20, 10_000)
    }

    /// Why the restore must stop before writing `nextBytes` more (and one more file), or nil.
    public func shortage(_ space: FileSystemSpace, nextBytes: Int64 = 0) -> String? {
        let reserve = reserveBytes(totalBytes: space.totalBytes)
        if space.availableBytes - nextBytes < reserve {
            return "the file system of the restore folder has \(space.availableBytes) bytes free, and the restore must leave \(reserve) bytes (restore_reserve)"
        }
        if space.totalInodes > 0, space.availableInodes - 1 < Self.reserveInodes(totalInodes: space.totalInodes) {
            return "the file system of the restore folder has \(space.availableInodes) inodes free, and the restore must leave \(Self.reserveInodes(totalInodes: space.totalInodes))"
        }
        return nil
    }
}
