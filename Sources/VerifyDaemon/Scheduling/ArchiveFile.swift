/// An archive found in a destination by a scan.
public struct ArchiveFile: Sendable, Equatable {
    public var path: String
    public var size: Int64
    /// Unix seconds, with the nanoseconds.
    public var mtime: Double
    /// The files the run needs beside the archive (manifest, digest sidecar) all exist.
    public var companionsReady: Bool

    public init(path: String, size: Int64, mtime: Double, companionsReady: Bool) {
        self.path = path
        self.size = size
        self.mtime = mtime
        self.companionsReady = companionsReady
    }
}

/// What a scan of a destination found.
public enum ScanOutcome: Sendable, Equatable {
    /// The folder is missing or unreadable.
    case unavailable(reason: String)
    /// The archives matching the patterns, the folders visited (for inotify), and what the scan
    /// left out.
    case found(archives: [ArchiveFile], folders: [String], notes: ScanNotes = ScanNotes())
}

/// Why a run happens.
public enum RunTrigger: String, Sendable, Codable {
    /// A new (or replaced) archive settled.
    case arrival
    /// The archive's re-verify interval came round.
    case schedule
    /// Someone asked (`verifyctl verify`).
    case request
    /// The last run was interrupted.
    case retry
}
