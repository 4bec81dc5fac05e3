/// Whether a process on this host has a file open for writing, as far as the kernel can tell.
public enum WriterState: Sendable, Equatable {
    /// No process has it open for writing.
    case none
    /// Some process has it open for writing.
    case writing
    /// The check could not answer (another filesystem, no `CAP_LEASE`...): why.
    case unknown(String)
    /// Not a regular file (a FIFO, a socket, a symlink, a folder): no writer to wait for. A run
    /// of it is an `error` that says what it is (issue 13: swapped for a FIFO after it settled).
    case notRegular(String)
}

/// An archive and the files its run needs beside it (manifest, digest sidecar), as probed at one
/// moment: the archive first.
public struct ArchiveProbe: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var path: String
        /// nil when the file does not exist (or cannot be examined).
        public var identity: FileIdentity?
        public var writer: WriterState

        public init(path: String, identity: FileIdentity?, writer: WriterState) {
            self.path = path
            self.identity = identity
            self.writer = writer
        }
    }

    public var files: [File]

    public init(files: [File]) {
        self.files = files
    }

    /// Every file's identity, in order: what a later probe must find again.
    public var identities: [FileIdentity?] { files.map(\.identity) }

    /// The first file that a process has open for writing.
    public var beingWritten: String? { files.first { $0.writer == .writing }?.path }
}
