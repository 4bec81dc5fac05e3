/// What an archive's header says about one entry, in Swift types.
public struct EntryHeader: Sendable {
    /// The name as stored (not yet normalised or stripped).
    public var rawPath: [UInt8]
    public var type: EntryType
    /// The size the header declares, when it declares one.
    public var size: Int64?
    public var mode: UInt32?
    public var uid: Int64?
    public var gid: Int64?
    public var userName: String?
    public var groupName: String?
    public var mtime: Int64?
    public var symlinkTarget: [UInt8]?
    /// For a hard link, the name of the entry it links to (as stored).
    public var hardlinkTarget: [UInt8]?
    /// The entry's data is encrypted and cannot be read without a key.
    public var isEncrypted: Bool

    public init(
        rawPath: [UInt8], type: EntryType, size: Int64? = nil, mode: UInt32? = nil, uid: Int64? = nil,
        gid: Int64? = nil, userName: String? = nil, groupName: String? = nil, mtime: Int64? = nil,
        symlinkTarget: [UInt8]? = nil, hardlinkTarget: [UInt8]? = nil, isEncrypted: Bool = false
    ) {
        self.rawPath = rawPath
        self.type = type
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.mtime = mtime
        self.symlinkTarget = symlinkTarget
        self.hardlinkTarget = hardlinkTarget
        self.isEncrypted = isEncrypted
    }
}

/// What reading an entry's data gave.
public struct EntryContent: Sendable {
    /// Digests of the content (holes of sparse entries read as zeros).
    public var digests: [Digest]
    /// Bytes of content, holes included.
    public var byteCount: Int64
    /// Why the data could not be read to its end, when it could not.
    public var damage: String?
    /// The data is encrypted and could not be read.
    public var encrypted: Bool

    public init(digests: [Digest], byteCount: Int64, damage: String? = nil, encrypted: Bool = false) {
        self.digests = digests
        self.byteCount = byteCount
        self.damage = damage
        self.encrypted = encrypted
    }
}

/// What a visitor wants of an entry's data.
public enum ContentRequest: Sendable, Equatable {
    /// Skip the data (the reader seeks past it where it can).
    case skip
    /// Read the data to its end, computing these digests (none: only count the bytes).
    case read([DigestAlgorithm])
}

/// Receives the entries of an archive, in order, from a reader.
///
/// Every `beginEntry` is matched by one `endEntry`, and ends come in the order of their begins;
/// but an end may come after later begins: a reader that hashes on a second thread asks about
/// the next entries while the digests of earlier ones are still being computed. A visitor keeps
/// what it needs at `endEntry` in a queue, not in one "current entry".
public protocol EntryVisitor: AnyObject {
    /// A new entry: say whether to read its data.
    func beginEntry(_ header: EntryHeader) -> ContentRequest
    /// The data of the oldest entry not yet ended was read (nil when it was skipped).
    func endEntry(_ content: EntryContent?)
    /// Whether an entry of this name and type must be read from its own header (and maybe its
    /// data), or whether the name and type a seek index holds are enough: then the reader
    /// hands `beginEntry` only those, and the visitor must answer `.skip`.
    func needsEntry(rawPath: [UInt8], type: EntryType) -> Bool
}

extension EntryVisitor {
    /// Every entry is read by default.
    public func needsEntry(rawPath: [UInt8], type: EntryType) -> Bool { true }
}
