/// What a scan of a destination looked at and left out: a destination holds whatever its
/// writers put there (links, loops, millions of files, names no tool expects).
public struct ScanNotes: Sendable, Equatable {
    /// Folder entries looked at (files, folders, links, hidden ones too).
    public var entriesVisited = 0
    /// The scan stopped at this many entries (`max_scan_entries`): archives past it were not
    /// seen, so none counts as gone.
    public var limitReached: Int?
    /// Entries matching the patterns that are not verified, with the reason (at most
    /// `skippedLimit` kept; `skippedCount` counts them all).
    public var skipped: [Skipped] = []
    public var skippedCount = 0

    public static let skippedLimit = 20

    /// One entry left out.
    public struct Skipped: Sendable, Equatable {
        public var path: String
        public var reason: Reason

        public init(path: String, reason: Reason) {
            self.path = path
            self.reason = reason
        }
    }

    public enum Reason: String, Sendable, Equatable {
        /// A symlink, and `follow_symlinks` is off.
        case symlink = "a symlink (follow_symlinks is off)"
        /// A symlink whose target is outside the destination (or cannot be resolved).
        case linkLeavesDestination = "a symlink whose target is outside the destination or cannot be resolved"
        /// A symlink to something that is not a regular file.
        case linkNotToFile = "a symlink to something that is not a regular file"
        /// Not a regular file (a FIFO, a socket, a device).
        case notRegularFile = "not a regular file"
        /// A name that is not UTF-8.
        case undecodableName = "a name that is not UTF-8"
    }

    public init() {}

    mutating func skip(_ path: String, _ reason: Reason) {
        skippedCount += 1
        if skipped.count < Self.skippedLimit { skipped.append(Skipped(path: path, reason: reason)) }
    }
}
