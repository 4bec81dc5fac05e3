/// What a manifest says about one entry. Every property that is set is checked.
public struct ManifestEntry: Sendable, Equatable {
    public var path: EntryPath
    /// The expected type; nil means "a file" for checksum lists, where only files are listed.
    public var type: EntryType?
    public var size: Int64?
    /// Expected digests of the content (often one).
    public var digests: [Digest]
    /// Expected symlink target, as raw bytes.
    public var linkTarget: [UInt8]?
    /// Permission bits (`mode & 07777`).
    public var mode: UInt32?
    public var uid: Int64?
    public var gid: Int64?
    public var userName: String?
    public var groupName: String?
    /// Modification time in whole seconds since the epoch.
    public var mtime: Int64?
    /// The line of the manifest file this entry came from (1-based), for messages.
    public var line: Int

    public init(
        path: EntryPath, type: EntryType? = nil, size: Int64? = nil, digests: [Digest] = [],
        linkTarget: [UInt8]? = nil, mode: UInt32? = nil, uid: Int64? = nil, gid: Int64? = nil,
        userName: String? = nil, groupName: String? = nil, mtime: Int64? = nil, line: Int = 0
    ) {
        self.path = path
        self.type = type
        self.size = size
        self.digests = digests
        self.linkTarget = linkTarget
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.mtime = mtime
        self.line = line
    }

    /// Whether reading this entry's content is needed to check it.
    public var needsContent: Bool { !digests.isEmpty }
}
