/// What identifies an archive file for its seek index: an index is used only for a file that
/// has every one of these as it had when the index was made.
public struct ArchiveIdentity: Sendable, Equatable {
    /// The file's resolved path.
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNanoseconds: Int64
    public var device: UInt64
    public var inode: UInt64
    /// SHA-256 of the first and of the last `edgeLength` bytes (the same bytes for a small file).
    public var headDigest: [UInt8]
    public var tailDigest: [UInt8]

    /// Bytes hashed at each end of the file.
    public static let edgeLength = 64 << 10

    public init(path: String, size: Int64, mtimeNanoseconds: Int64, device: UInt64, inode: UInt64, headDigest: [UInt8], tailDigest: [UInt8]) {
        self.path = path
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.device = device
        self.inode = inode
        self.headDigest = headDigest
        self.tailDigest = tailDigest
    }

    /// What differs between the identity an index was made for and the file's, worded for a
    /// person (the first difference found); nil when they are the same.
    public func difference(from current: ArchiveIdentity) -> String? {
        if path != current.path { return "it was made for \(path)" }
        if size != current.size { return "the archive's size changed (\(size) then, \(current.size) now)" }
        if mtimeNanoseconds != current.mtimeNanoseconds { return "the archive's modification time changed" }
        if device != current.device || inode != current.inode { return "the archive is another file now (device or inode changed)" }
        if headDigest != current.headDigest { return "the archive's first \(Self.edgeLength >> 10) KiB changed" }
        if tailDigest != current.tailDigest { return "the archive's last \(Self.edgeLength >> 10) KiB changed" }
        return nil
    }
}
