import CArchive
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import VerifyCore

/// Reads one archive file, entry by entry, into an ``EntryVisitor``: streaming, one pass, blocks
/// straight from libarchive into the hasher. Every format and filter the system libarchive reads;
/// gzip is inflated here with zlib so its trailers are checked.
///
/// A reader owns its libarchive handle and is used from one thread only.
public final class ArchiveReader {
    public struct Options: Sendable {
        /// Algorithms for the digest of the whole archive file (for a sidecar `.sha256`).
        public var wholeFileAlgorithms: [DigestAlgorithm]
        /// Bytes per read of the file (64-128 KiB reads fastest here).
        public var blockSize: Int
        /// Which gzip decoder reads `.gz` files (ISA-L unless `$VERIFYD_INFLATER=zlib`).
        public var gzipBackend: GzipBackend
        /// Threads to use: with 2, gzip is inflated on a second thread while this one parses and
        /// hashes; other formats are parsed here and hashed on the second thread.
        public var threads: Int
        /// The archive comes as this stream, read once in order (`path` only names it).
        public var stream: ByteStream?
        public init(
            wholeFileAlgorithms: [DigestAlgorithm] = [], blockSize: Int = 128 << 10, gzipBackend: GzipBackend = .preferred,
            threads: Int = 2
        ) {
            self.wholeFileAlgorithms = wholeFileAlgorithms
            self.blockSize = blockSize
            self.gzipBackend = gzipBackend
            self.threads = threads
        }
    }

    /// What reading the archive gave, besides what the visitor collected.
    public struct Outcome: Sendable {
        /// Why reading stopped before the end, when the archive is damaged; or, when it went on
        /// past damage (tar headers stepped over), where that damage was.
        public var damage: String?
        /// Why the archive could not be read (an I/O error), when it could not.
        public var ioError: String?
        /// libarchive's name of the format, e.g. "GNU tar format".
        public var format: String?
        /// Filters, outermost first, e.g. ["gzip"].
        public var filters: [String]
        /// Bytes of the archive file read.
        public var bytesRead: Int64
        public var fileSize: Int64
        /// Digests of the whole file, when asked for.
        public var wholeFileDigests: [Digest]
        /// Reading was stopped on purpose before the end (`ReadProgress.requestStop()`).
        public var stoppedEarly: Bool = false
        /// Warnings libarchive gave on headers (kept, not failures).
        public var warnings: [String]
        /// Zip members read by verifyd's own reader (ISA-L, both cores) rather than by libarchive.
        public var membersReadDirectly: Int = 0
        /// The entries came from a zip's central directory (`ZipDirectoryWalk`).
        public var entriesFromZipDirectory = false
        /// The file was read as one stream (libarchive's raw format), not as an archive: the
        /// start and end of its content, for `DumpCompletion`.
        public var singleStream: SingleStreamContent?
        /// The file is a pg_dump custom-format dump (`PGDMP`), read by `PgCustomDump`.
        public var pgCustomDump: PgCustomDumpSummary?
        /// What was done with the seek index given (`seekIndex`), if one was.
        public var seekIndexUse: SeekIndexUse?
        /// The index recorded on this sequential read (`recordsSeekIndex`), or why there is none.
        public var builtSeekIndex: SeekIndex?
        public var seekIndexNotBuilt: String?
    }

    /// Replaced by a fresh one when a file that is not an archive is read again as one stream.
    var source: FileSource
    /// Sources replaced: kept while the reader lives, since a libarchive handle over one may be
    /// freed after it was replaced.
    var retiredSources: [FileSource] = []
    let options: Options
    let threads: Int
    let hashesWholeFile: Bool
    public let progress: ReadProgress
    /// Size of the archive file, from the open descriptor.
    public var fileSize: Int64 { source.fileSize }
    /// The content of the entry named by `captureEntry` is kept here (up to its limit) when a
    /// visitor asks to read it: how a manifest stored inside an archive is taken out.
    public var captureEntry: (path: EntryPath, limit: Int)?
    public internal(set) var captured: [UInt8]?
    /// The captured entry was longer than the limit.
    public internal(set) var capturedOverflow = false
    /// Set when a sample is read and checked for names, types, sizes and content only: a plain
    /// zip's entries then come from its central directory (`ZipDirectoryWalk`) instead of
    /// libarchive's walk over every member's local header. Not with a whole-file digest (the
    /// whole file is read anyway), a restore or a capture.
    public var zipEntriesFromDirectory = false
    /// With a writer, every entry the visitor reads is also restored to disk.
    public var restore: RestoreWriter?
    /// `raw` reads the file as one stream whatever it holds; `auto` reads an archive as one and
    /// a compressed file that holds no archive as one stream (`ArchiveFormatPolicy`).
    public var formatPolicy: ArchiveFormatPolicy = .auto
    /// The name of a single stream's one entry (`SingleStream.contentName`); libarchive's
    /// "data" when nil.
    public var streamName: EntryPath?
    /// With an index that matches the file, a sample reads only the entries it needs
    /// (`ArchiveReader+SeekIndex`).
    public var seekIndex: SeekIndex?
    /// Record a seek index on a sequential read, into `Outcome.builtSeekIndex`.
    public var recordsSeekIndex = false
    /// Bytes of a gzip file between checkpoints (`VerificationRequest.gzipCheckpointSpacing`).
    public var gzipCheckpointSpacing: Int64?
    /// The share of a gzip file past which a sample is read sequentially rather than through
    /// its index: inflating from checkpoints is zlib on one thread, a sequential read ISA-L on a
    /// thread of its own (docs/seek-index.md, "Measured").
    public var gzipSpanLimit = ArchiveReader.defaultGzipSpanLimit
    public static let defaultGzipSpanLimit = 0.4
    var indexRecorder: SeekIndexRecorder?
    /// Reading one stream: its first and last bytes, kept as its data goes by.
    var streamEnds: SingleStreamContent?
    /// libarchive recognised no archive format (set by `openArchive`).
    var formatUnrecognised = false
    /// Whether the content starts with `#mtree`, once looked at.
    var mtreeSignature: Bool?
    /// Set when an allocation failed while reading data.
    var outOfMemory: String?
    /// Hashes on a second core; started at the first entry it is given.
    var hashThread: HashThread?
    /// Entries read whose `endEntry` is still due, oldest first: the visitor hears of them in
    /// order, each once its digests are known.
    var pendingEnds = FIFO<PendingEnd>()
    /// A zip's members shared with other threads: ISA-L workers, or a second libarchive reader.
    var split: (any MemberSharing)?
    /// The second reader of a split: it counts no entries (the first does) and stops only when
    /// the first has no more for it, not at a budget.
    let isSecondReader: Bool
    let cancelled = Atomic<Bool>(false)

    /// Opens the file read-only. Throws when it is missing, unreadable or not a regular file.
    public init(path: String, options: Options = Options(), progress: ReadProgress = ReadProgress()) throws(ArchiveReadError) {
        ArchiveReader.useUTF8Locale
        self.progress = progress
        self.options = options
        self.threads = options.threads
        self.hashesWholeFile = !options.wholeFileAlgorithms.isEmpty
        self.isSecondReader = false
        self.source = try FileSource(
            path: path, wholeFileAlgorithms: options.wholeFileAlgorithms, blockSize: options.blockSize, progress: progress,
            gzipBackend: options.gzipBackend, inflateAhead: options.threads > 1, stream: options.stream)
    }

    /// A second reader of the same open file (a duplicate descriptor), sharing the progress.
    init(sharingFileOf first: ArchiveReader) throws(ArchiveReadError) {
        self.progress = first.progress
        self.options = Options(threads: 1)
        self.threads = 1
        self.hashesWholeFile = false
        self.isSecondReader = true
        self.source = try FileSource(
            path: first.source.path, wholeFileAlgorithms: [], blockSize: 128 << 10, progress: first.progress,
            duplicating: first.source.descriptor)
    }

    /// Stops reading before the next entry.
    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Reads every entry into the visitor. Damage ends the archive early and is reported in the
    /// outcome, never thrown.
    public func read(into visitor: some EntryVisitor) -> Outcome {
        var outcome = Outcome(
            damage: nil, ioError: nil, format: nil, filters: [], bytesRead: 0, fileSize: source.fileSize,
            wholeFileDigests: [], warnings: [])
        // Zip members are independent: with two threads they are read by ISA-L workers (members
        // found in the central directory), or else by a second libarchive reader taking some.
        // A sample of a plain zip takes its entries from the directory too.
        let sharesMembers = source.looksLikeZip && formatPolicy == .auto && restore == nil && captureEntry == nil && !isSecondReader
        let directory = sharesMembers && (threads > 1 || zipEntriesFromDirectory) ? centralDirectory() : nil
        let walk = zipEntriesFromDirectory && !hashesWholeFile ? directory.flatMap { ZipDirectoryWalk.canWalk($0) ? $0 : nil } : nil
        if sharesMembers, threads > 1 || walk != nil {
            let makeSplit = { [self] in (try? ArchiveReader(sharingFileOf: self)).map { MemberSplit(second: $0) } }
            if let directory, directory.plainCount > 0 {
                split = ZipMemberPool(
                    catalog: directory, fd: source.descriptor, fileSize: source.fileSize, progress: progress, threads: threads,
                    makeFallback: makeSplit)
            } else {
                split = makeSplit()
            }
        }
        if let walk, let split {
            walkDirectory(walk, split, into: visitor, &outcome)
            outcome.bytesRead += walk.bytesRead
            outcome.entriesFromZipDirectory = true
        } else {
            readEntries(into: visitor, &outcome)
        }
        source.stopReadingAhead()
        split?.close()
        deliverEnds(to: visitor, wait: true)
        split?.join()
        if walk == nil, outcome.damage == nil, outcome.ioError == nil, outcome.format?.hasPrefix("ZIP") == true,
           let problem = zipHeadersProblem(skipping: (split as? ZipMemberPool)?.headersChecked ?? []) {
            outcome.damage = problem
            outcome.wholeFileDigests = []
        }
        hashThread?.finish()
        hashThread = nil
        outcome.bytesRead += source.rawBytesRead + (split?.bytesRead ?? 0)
        outcome.membersReadDirectly = (split as? ZipMemberPool)?.membersReadDirectly ?? 0
        split = nil
        return outcome
    }

    var zipReopens = 0

    private func readEntries(into visitor: some EntryVisitor, _ outcome: inout Outcome) {
        if source.isEmpty {
            outcome.damage = "the file is empty (0 bytes): not an archive"
            return
        }
        if let index = seekIndex {
            if let why = seekIndexRefusal(index) {
                outcome.seekIndexUse = .refused(why)
            } else if let why = seekIndexCost(index, for: visitor) {
                // The index still describes the archive: none is recorded again.
                outcome.seekIndexUse = .refused(why)
                outcome.seekIndexNotBuilt = "the index given still describes the archive"
                recordsSeekIndex = false
            } else {
                return readThroughIndex(index, into: visitor, &outcome)
            }
        }
        if formatPolicy == .auto, source.head(PgCustomDump.magic.count) == PgCustomDump.magic {
            readPgCustomDump(&outcome)
            return
        }
        startRecordingIndex(&outcome)
        guard var archive = formatPolicy == .raw ? openSingleStream(&outcome)
            : openArchive(&outcome) ?? (formatUnrecognised ? readAgainAsSingleStream(&outcome, why: "Unrecognized archive format") : nil)
        else { return }
        defer { archive_read_free(archive) }
        var walk = EntryWalk()
        guard walkEntries(&archive, into: visitor, &walk, &outcome) else {
            // Stopped on purpose: what was read is described, the rest is not looked at.
            describe(archive, into: &outcome)
            return
        }
        finishEntries(archive, &walk, &outcome)
    }

    /// Reads the rest of the source (`FileSource.drain`); after a tar, shows its end to `TarEnd`
    /// on the way. `archiveFilters`: libarchive's filter count (more than 1: it decoded the
    /// stream itself). False on damage or an I/O error.
    func drain(checking tarEnd: inout TarEnd?, archiveFilters: Int32) -> Bool {
        guard var end = tarEnd else { return source.drain() }
        let (ok, streamEnd) = source.drain(observing: &end, from: end.entriesEnd, parserDecoded: archiveFilters > 1)
        if let streamEnd { end.streamEnds(at: streamEnd) }
        tarEnd = end
        return ok
    }

    /// The zip's central directory, read once when first needed (nil inside: unreadable).
    var zipDirectory: ZipDirectory??

}
