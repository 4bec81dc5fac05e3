/// One manifest entry as a run verified it: whether it failed, and what the archive held.
public struct EntryVerification: Sendable, Equatable {
    public var path: EntryPath
    public var failed: Bool
    /// The content's digest as read (the strongest the manifest asked for).
    public var digest: Digest?
    public var size: Int64?

    public init(path: EntryPath, failed: Bool, digest: Digest? = nil, size: Int64? = nil) {
        self.path = path
        self.failed = failed
        self.digest = digest
        self.size = size
    }
}
