/// What a file looked like at one moment: enough to tell that it changed (written to, truncated,
/// or replaced by another file under the same name).
public struct FileIdentity: Sendable, Equatable, Codable {
    public var size: Int64
    /// Unix seconds, with the nanoseconds.
    public var mtime: Double
    public var inode: UInt64
    public var device: UInt64

    public init(size: Int64, mtime: Double, inode: UInt64, device: UInt64) {
        self.size = size
        self.mtime = mtime
        self.inode = inode
        self.device = device
    }
}
