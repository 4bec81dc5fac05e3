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
    }

    /// Replaced by a fresh one when a file that is not an archive is read again as one stream.
    var source: FileSource
    /// Sources replaced: kept while the reader lives, since a libarchive handle over one may be
    /// freed after it was replaced.
    var retiredSources: [FileSource] = []
    let options: Options
    private let threads: Int
    private let hashesWholeFile: Bool
    public let progress: ReadProgress
    /// Size of the archive file, from the open descriptor.
    public var fileSize: Int64 { source.fileSize }
    /// The content of the entry named by `captureEntry` is kept here (up to its limit) when a
    /// visitor asks to read it: how a manifest stored inside an archive is taken out.
    public var captureEntry: (path: EntryPath, limit: Int)?
    public private(set) var captured: [UInt8]?
    /// The captured entry was longer than the limit.
    public private(set) var capturedOverflow = false
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
    /// Reading one stream: its first and last bytes, kept as its data goes by.
    var streamEnds: SingleStreamContent?
    /// libarchive recognised no archive format (set by `openArchive`).
    var formatUnrecognised = false
    /// Whether the content starts with `#mtree`, once looked at.
    var mtreeSignature: Bool?
    /// Set when an allocation failed while reading data.
    private var outOfMemory: String?
    /// Hashes on a second core; started at the first entry it is given.
    private var hashThread: HashThread?
    /// Entries read whose `endEntry` is still due, oldest first: the visitor hears of them in
    /// order, each once its digests are known.
    private var pendingEnds = FIFO<PendingEnd>()
    /// Entries read ahead of the hashing thread at most, before the reader waits for it.
    private static let pendingLimit = 4096

    private struct PendingEnd {
        /// The hashing thread's ticket for the digests; nil when they are in `content` already.
        var ticket: Int?
        var content: EntryContent?
        /// The entry's number, when the second reader of a zip reads it.
        var remote: Int?
    }
    /// A zip's members shared with other threads: ISA-L workers, or a second libarchive reader.
    private var split: (any MemberSharing)?
    /// The second reader of a split: it counts no entries (the first does) and stops only when
    /// the first has no more for it, not at a budget.
    private let isSecondReader: Bool
    private let cancelled = Atomic<Bool>(false)

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

    /// libarchive converts names through the C locale; Swift never sets one, so without this
    /// every non-ASCII name would come back nil.
    ///
    /// libarchive's zip and cpio readers call mktime for every entry; without TZ, glibc stats
    /// /etc/localtime on each call (a zip of 30,000 members: 30,000 stat calls, a third of a
    /// 5% sample's time). TZ=:/etc/localtime is the same zone, read once.
    private static let useUTF8Locale: Void = {
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "") }
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
    }()

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

    /// Tells the visitor of the read entries whose digests are known, in order. With `wait`,
    /// of all of them; without, it still waits once too many are pending.
    private func deliverEnds(to visitor: some EntryVisitor, wait: Bool) {
        while let front = pendingEnds.first {
            var content = front.content
            let mustWait = wait || pendingEnds.count > Self.pendingLimit
            if let ticket = front.ticket {
                guard let digests = hashThread?.digests(ticket: ticket, wait: mustWait) else { return }
                content?.digests = digests
            } else if let remote = front.remote {
                guard let read = split?.content(of: remote, wait: mustWait) else { return }
                content = read
            }
            _ = pendingEnds.popFirst()
            visitor.endEntry(content)
        }
    }

    /// The entries of a zip from its central directory; members to read go to the ISA-L
    /// workers (and from them, on any doubt, to a second libarchive reader).
    private func walkDirectory(
        _ directory: ZipDirectory, _ split: any MemberSharing, into visitor: some EntryVisitor, _ outcome: inout Outcome
    ) {
        for index in directory.fileOrder {
            if progress.stopRequested {
                outcome.stoppedEarly = true
                break
            }
            progress.entryStarted()
            let header = ZipDirectoryWalk.header(directory.members[index])
            let request = visitor.beginEntry(header)
            if let handedOver = split.decide(request, header) {
                pendingEnds.append(PendingEnd(remote: handedOver))
            } else if case .read(let algorithms) = request {
                // Only a folder gets here (files all go to the workers): no data.
                pendingEnds.append(PendingEnd(content: EntryContent(digests: ContentHasher(algorithms: algorithms).finalize(), byteCount: 0)))
            } else {
                pendingEnds.append(PendingEnd())
            }
            deliverEnds(to: visitor, wait: false)
        }
        if let last = directory.fileOrder.last { outcome.format = ZipDirectoryWalk.formatName(directory.members[last]) }
    }

    /// A libarchive reader over the source, opened (every filter and format). Nil, with why in
    /// the outcome, when it cannot be.
    func openArchive(_ outcome: inout Outcome, singleStream: Bool = false) -> OpaquePointer? {
        guard let archive = archive_read_new() else {
            outcome.ioError = "libarchive could not allocate a reader"
            return nil
        }
        archive_read_support_filter_all(archive)
        if singleStream {
            archive_read_support_format_raw(archive)
        } else if startsWithMtreeSignature() {
            archive_read_support_format_all(archive)
        } else {
            Self.supportEveryFormatButMtree(archive)
        }

        let context = Unmanaged.passUnretained(source).toOpaque()
        archive_read_set_callback_data(archive, context)
        archive_read_set_read_callback(archive) { _, context, block in
            let source = Unmanaged<FileSource>.fromOpaque(context!).takeUnretainedValue()
            var pointer: UnsafeRawPointer?
            let n = source.nextBlock(&pointer)
            block?.pointee = pointer
            return n
        }
        if source.isSeekable {
            archive_read_set_skip_callback(archive) { _, context, request in
                Unmanaged<FileSource>.fromOpaque(context!).takeUnretainedValue().skip(request)
            }
            archive_read_set_seek_callback(archive) { _, context, offset, whence in
                Unmanaged<FileSource>.fromOpaque(context!).takeUnretainedValue().seek(offset, whence: whence)
            }
        }
        let openStatus = archive_read_open1(archive)
        if ArchiveStatus.interpret(openStatus, phase: .header) != .ok {
            formatUnrecognised = !singleStream && archive_errno(archive) == EILSEQ && sourceReason() == nil
            describe(archive, into: &outcome)
            fail(archive, &outcome, context: "not a readable archive")
            archive_read_free(archive)
            return nil
        }
        return archive
    }

    /// Zip members are independent: after damage in one member's data (libarchive's zip reader
    /// then refuses to go on), a new reader is opened and walked past the `consumed` members
    /// read already, so the members after the damaged one are still read. A damaged local
    /// header cannot be walked past (libarchive parses each header it steps over), and neither
    /// can damage our own source found (I/O, reread limit) or a failed allocation.
    /// Returns the new reader, or nil (the old one is left as it was) when it cannot go on.
    private func reopenPastDamagedMember(_ archive: OpaquePointer, consumed: Int, _ outcome: Outcome) -> OpaquePointer? {
        guard archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_ZIP, source.isSeekable,
              sourceReason() == nil, outOfMemory == nil, archive_errno(archive) != ENOMEM,
              zipReopens < Self.zipReopenLimit, !cancelled.load(ordering: .relaxed),
              source.seek(0, whence: SEEK_SET) == 0
        else { return nil }
        zipReopens += 1
        var scratch = outcome
        guard let fresh = openArchive(&scratch) else { return nil }
        var entry: OpaquePointer?
        for _ in 0..<consumed {
            progress.tick()
            let status = ArchiveStatus.interpret(archive_read_next_header(fresh, &entry), phase: .header)
            guard status == .ok || status == .warning, entry != nil else {
                archive_read_free(fresh)
                return nil
            }
        }
        return fresh
    }

    /// Readers opened again past a damaged zip member: each walks the headers before it again,
    /// so a zip damaged in very many members is given up on after this many.
    static let zipReopenLimit = 64
    private var zipReopens = 0

    private func readEntries(into visitor: some EntryVisitor, _ outcome: inout Outcome) {
        if source.isEmpty {
            outcome.damage = "the file is empty (0 bytes): not an archive"
            return
        }
        if formatPolicy == .auto, source.head(PgCustomDump.magic.count) == PgCustomDump.magic {
            readPgCustomDump(&outcome)
            return
        }
        guard var archive = formatPolicy == .raw ? openSingleStream(&outcome)
            : openArchive(&outcome) ?? (formatUnrecognised ? readAgainAsSingleStream(&outcome, why: "Unrecognized archive format") : nil)
        else { return }
        defer { archive_read_free(archive) }

        var entry: OpaquePointer?
        /// Headers read so far (entries begun).
        var consumed = 0
        var resync = TarHeaderResync()
        /// The name of the last entry read, for where a damaged tar header was.
        var lastName: [UInt8]?
        /// Where a tar's entries ended and its reader stopped, to look at how it ends.
        var tarEnd: TarEnd?
        /// A zip from a stream: its local headers, and its end once the reader stopped.
        var zipEnd: ZipStreamEnd?
        readLoop: while true {
            if progress.stopRequested && !isSecondReader || cancelled.load(ordering: .relaxed) {
                outcome.stoppedEarly = true
                describe(archive, into: &outcome)
                return
            }
            let raw = archive_read_next_header(archive, &entry)
            if raw == ARCHIVE_RETRY, resync.shouldRetry(
                isTar: archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_TAR, position: archive_filter_bytes(archive, 0),
                message: message(archive), after: lastName.map { EntryPath(unnormalized: $0).description })
            {
                progress.tick()
                continue readLoop
            }
            let status = ArchiveStatus.interpret(raw, phase: .header)
            if isSecondReader { progress.tick() } else { progress.entryStarted() }
            switch status {
            case .ok, .warning:
                guard let entry else { break readLoop }
                var header = makeHeader(entry)
                if streamEnds != nil, let streamName { header.rawPath = streamName.bytes }
                resync.headerRead()
                lastName = header.rawPath
                noteZipStreamHeader(archive, header, &zipEnd)
                var headerDamage: String?
                if status == .warning {
                    let text = message(archive)
                    // A name that does not convert to UTF-8 is kept as raw bytes: not damage.
                    if ArchiveReader.isCharsetWarning(text) { outcome.warnings.append(text) } else { headerDamage = text }
                }
                if header.rawPath.isEmpty { headerDamage = headerDamage ?? "the entry has an empty name" }
                let request = visitor.beginEntry(header)
                let handedOver = split?.decide(headerDamage == nil ? request : .skip, header)
                var (ending, stop) = readData(archive, entry, header, handedOver == nil ? request : .skip)
                if let handedOver { ending = PendingEnd(remote: handedOver) }
                if let headerDamage {
                    ending = PendingEnd(content: EntryContent(digests: [], byteCount: ending.content?.byteCount ?? 0, damage: headerDamage))
                }
                pendingEnds.append(ending)
                deliverEnds(to: visitor, wait: false)
                consumed += 1
                if let stop {
                    if let fresh = reopenPastDamagedMember(archive, consumed: consumed, outcome) {
                        archive_read_free(archive)
                        archive = fresh
                        continue readLoop
                    }
                    outcome.damage = zipReopens < Self.zipReopenLimit ? stop
                        : "\(stop) (reading stopped: \(Self.zipReopenLimit + 1) members were damaged)"
                    break readLoop
                }
            case .end:
                if archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_TAR, !isSecondReader {
                    // libarchive sets the header position before it looks for a header: where
                    // the last entry's data ended, whatever it then found (and consumed).
                    tarEnd = TarEnd(
                        entriesEnd: archive_read_header_position(archive), readerEnd: archive_filter_bytes(archive, 0),
                        lastEntry: lastName.map { EntryPath(unnormalized: $0).description })
                }
                noteZipStreamEnd(archive, &zipEnd)
                break readLoop
            case .damagedEntry, .damagedArchive:
                fail(archive, &outcome, context: nil)
                noteZipStreamCut(archive, zipEnd, &outcome)
                break readLoop
            }
        }
        describe(archive, into: &outcome)
        if let outOfMemory {
            outcome.damage = nil
            outcome.ioError = outOfMemory
        }
        if let streamEnds, outcome.damage == nil, outcome.ioError == nil, streamEnds.byteCount == 0, !outcome.stoppedEarly {
            outcome.damage = "the stream holds no data (0 bytes after \(outcome.filters.isEmpty ? "reading" : outcome.filters.joined(separator: ", ")))"
        }
        outcome.singleStream = streamEnds
        if outcome.damage == nil, outcome.ioError == nil {
            if outcome.format == "Empty file" {
                outcome.damage = "the archive holds no data (an empty stream inside \(outcome.filters.joined(separator: ", ")))"
            } else if outcome.format?.hasPrefix("ZIP") == true, source.isSeekable, let problem = source.zipEndProblem() {
                outcome.damage = problem
            } else if var end = zipEnd {
                drainZipStream(&end, &outcome)
            } else if !drain(checking: &tarEnd, archiveFilters: archive_filter_count(archive)) {
                outcome.damage = source.damage
                outcome.ioError = source.ioError
            } else if let problem = tarEnd?.problem {
                outcome.damage = problem
            }
        }
        outcome.wholeFileDigests = outcome.damage == nil && outcome.ioError == nil ? source.wholeFileDigests() : []
        // Damaged headers stepped over come first: they are where the archive went wrong.
        if let skipped = resync.damage, outcome.ioError == nil {
            outcome.damage = outcome.damage.map { "\(skipped); then: \($0)" } ?? skipped
            outcome.wholeFileDigests = []
        }
    }

    /// Reads the rest of the source (`FileSource.drain`); after a tar, shows its end to `TarEnd`
    /// on the way. `archiveFilters`: libarchive's filter count (more than 1: it decoded the
    /// stream itself). False on damage or an I/O error.
    private func drain(checking tarEnd: inout TarEnd?, archiveFilters: Int32) -> Bool {
        guard var end = tarEnd else { return source.drain() }
        let (ok, streamEnd) = source.drain(observing: &end, from: end.entriesEnd, parserDecoded: archiveFilters > 1)
        if let streamEnd { end.streamEnds(at: streamEnd) }
        tarEnd = end
        return ok
    }

    static func isCharsetWarning(_ message: String) -> Bool {
        message.contains("convert") || message.contains("charset") || message.contains("character set")
    }

    /// Records why reading stopped: our own source's reason first (gzip damage, I/O error),
    /// libarchive's message otherwise.
    private func fail(_ archive: OpaquePointer, _ outcome: inout Outcome, context: String?) {
        if let ioError = source.ioError {
            outcome.ioError = ioError
        } else if let damage = source.damage {
            // Worded as libarchive's own failures are: the same stream decompressed by
            // libarchive (one thread) or by us (two) reads the same.
            outcome.damage = context.map { "\($0): \(damage)" } ?? damage
        } else if archive_errno(archive) == ENOMEM {
            outcome.ioError = Self.outOfMemory(message(archive))
        } else {
            let text = message(archive)
            outcome.damage = context.map { "\($0): \(text)" } ?? text
        }
    }

    /// A failed allocation is not damage: the archive may be fine and this process too small
    /// for it (the daemon's workers run under a memory limit).
    static func outOfMemory(_ text: String) -> String {
        "out of memory while reading (\(text)): the archive needs more memory than this process may use"
    }

    private func isOutOfMemory(_ archive: OpaquePointer) -> Bool {
        archive_errno(archive) == ENOMEM && sourceReason() == nil
    }

    private func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "libarchive gave no reason"
    }

    private func describe(_ archive: OpaquePointer, into outcome: inout Outcome) {
        if let name = archive_format_name(archive) { outcome.format = String(cString: name) }
        let count = archive_filter_count(archive)
        var filters = [String]()
        filters.append(contentsOf: source.decodedFilters)
        if count > 1 {
            for index in 0..<(count - 1) {
                if let name = archive_filter_name(archive, index) { filters.append(String(cString: name)) }
            }
        }
        outcome.filters = filters
    }

    /// Reads or skips the data of the current entry. Returns the content (nil when skipped), whose
    /// digests may still be coming from the hashing thread, and, when the archive cannot go on, why.
    private func readData(_ archive: OpaquePointer, _ entry: OpaquePointer, _ header: EntryHeader, _ request: ContentRequest) -> (PendingEnd, String?) {
        guard case .read(let algorithms) = request else {
            // Restore mode: folders and symlinks (no data) are restored whether sampled or not,
            // so that the tree's folders get their own modes and times.
            if let restore, header.type == .directory || header.type == .symlink {
                if restore.begin(entry, path: header.rawPath, hardlinkTarget: nil) { restore.end() }
            }
            if streamEnds != nil { return (PendingEnd(), readStreamThrough(archive)) }
            let status = ArchiveStatus.interpret(archive_read_data_skip(archive), phase: .data)
            switch status {
            case .damagedArchive: return (PendingEnd(), sourceReason() ?? message(archive))
            default: return (PendingEnd(), nil)
            }
        }
        let restoring = restore?.begin(entry, path: header.rawPath, hardlinkTarget: header.hardlinkTarget) ?? false
        defer { if restoring { restore?.end() } }
        let capturing = captureEntry.map { EntryPath(normalizing: header.rawPath) == $0.path } ?? false
        if capturing { captured = [] }
        // Entries restored or captured are hashed here (their blocks are used here anyway), and
        // so are entries begun while the hashing thread is behind; the others are hashed there.
        // With gzip inflated on the other core, this thread has the time to hash itself.
        if threads > 1, hashThread == nil, !algorithms.isEmpty, !source.isInflatedAhead, split == nil { hashThread = HashThread() }
        if header.size == 0, let content = readEmptyLzmaMember(archive, header, algorithms) {
            // libarchive is not asked for its data (see readEmptyLzmaMember), only to go past it.
            switch ArchiveStatus.interpret(archive_read_data_skip(archive), phase: .data) {
            case .damagedArchive:
                let reason = sourceReason() ?? message(archive)
                return (PendingEnd(content: EntryContent(digests: [], byteCount: 0, damage: reason)), reason)
            default:
                return (PendingEnd(content: content), nil)
            }
        }
        let cpioCheck = cpioChecksum(archive)
        var cpioSum: UInt32 = 0
        let offloaded = !algorithms.isEmpty && !restoring && !capturing && hashThread.map { !$0.isBacklogged } ?? false
        if offloaded { hashThread!.begin(algorithms) }
        var hasher = ContentHasher(algorithms: offloaded ? [] : algorithms)
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let raw = archive_read_data_block(archive, &block, &size, &offset)
            switch ArchiveStatus.interpret(raw, phase: .data) {
            case .ok, .warning:
                progress.tick()
                // Sparse entries: the offset jumps over holes, which read as zeros.
                if offset > hasher.byteCount {
                    if offloaded { hashThread!.addZeros(offset - hasher.byteCount) }
                    hasher.updateZeros(count: offset - hasher.byteCount)
                }
                if size > 0, let block {
                    let chunk = UnsafeRawBufferPointer(start: block, count: size)
                    if cpioCheck != nil { cpioSum = chunk.reduce(cpioSum) { $0 &+ UInt32($1) } }
                    streamEnds?.add(chunk)
                    if offloaded { hashThread!.add(chunk) }
                    hasher.update(chunk)
                    if restoring, restore?.write(block, count: size, offset: offset) == false { progress.requestStop() }
                    if capturing, let limit = captureEntry?.limit {
                        if (captured?.count ?? 0) + size > limit { capturedOverflow = true } else { captured?.append(contentsOf: chunk) }
                    }
                }
            case .end:
                if let cpioCheck, cpioCheck != cpioSum {
                    let damage = "cpio checksum mismatch: the header says \(cpioCheck.hexWord), the data sums to \(cpioSum.hexWord)"
                    return (PendingEnd(content: EntryContent(digests: [], byteCount: hasher.byteCount, damage: damage)), nil)
                }
                if archive_entry_sparse_count(entry) > 0, let declared = header.size, declared > hasher.byteCount {
                    if offloaded { hashThread!.addZeros(declared - hasher.byteCount) }
                    hasher.updateZeros(count: declared - hasher.byteCount)
                }
                let content = EntryContent(digests: hasher.finalize(), byteCount: hasher.byteCount)
                return (PendingEnd(ticket: offloaded ? hashThread!.end() : nil, content: content), nil)
            case .damagedEntry where isOutOfMemory(archive), .damagedArchive where isOutOfMemory(archive):
                outOfMemory = Self.outOfMemory(message(archive))
                return (PendingEnd(content: EntryContent(digests: [], byteCount: hasher.byteCount, damage: outOfMemory)), outOfMemory)
            case .damagedEntry:
                let reason = sourceReason() ?? message(archive)
                return (PendingEnd(content: EntryContent(digests: [], byteCount: hasher.byteCount, damage: reason, encrypted: header.isEncrypted)), nil)
            case .damagedArchive:
                let reason = sourceReason() ?? message(archive)
                return (PendingEnd(content: EntryContent(digests: [], byteCount: hasher.byteCount, damage: reason, encrypted: header.isEncrypted)), reason)
            }
        }
    }

    private func sourceReason() -> String? { source.ioError ?? source.damage }

    /// The checksum in the header of the current entry of an SVR4 "070702" (crc) cpio: the sum
    /// of its data bytes, which libarchive reads and never checks ("XXX TODO" in its cpio
    /// reader). Read back from the file at the header's position, or, for a stream decoded here
    /// (a pipe; gzip, zstd...), from the bytes the parser just read; nil when libarchive decoded
    /// the stream itself, or the header is no longer held.
    private func cpioChecksum(_ archive: OpaquePointer) -> UInt32? {
        guard archive_format(archive) == ARCHIVE_FORMAT_CPIO_SVR4_CRC, archive_filter_count(archive) == 1 else { return nil }
        let position = archive_read_header_position(archive)
        // Decoded here (a stream, gzip...): the header is among the bytes the parser just read.
        let read = source.isSeekable ? FileBytes.read(source.descriptor, at: position, count: 110) : source.recentBytes(at: position, count: 110)
        guard position >= 0, let header = read,
              header.starts(with: Array("070702".utf8)) else { return nil }
        return UInt32(String(decoding: header[102..<110], as: UTF8.self), radix: 16)
    }

    /// libarchive reads a seekable zip's members by their local headers and does not compare
    /// them with the central directory, which unzip and Python extract by: a member whose two
    /// records disagree (a name, a method, encryption flags) is damage. Nil when they agree or the
    /// directory cannot be read (ZipCatalog's rules; the end check covers a missing one).
    /// `skipping`: the local headers already compared (the members read directly).
    private func zipHeadersProblem(skipping checked: Set<Int64>) -> String? {
        guard !isSecondReader, source.isSeekable,
              let directory = centralDirectory() else { return nil }
        return ZipCatalog.headersProblem(directory, fd: source.descriptor, skipping: checked)
    }

    /// An empty zip member compressed with LZMA, read by verifyd itself. libarchive (3.6 to
    /// 3.8 at least) gives it no room for output and fails with "lzma unknown error 10" on
    /// every one, so every zip that Python's zipfile writes with ZIP_LZMA and an empty file in
    /// it would fail. Its data (properties and an end marker) is decoded and its CRC checked
    /// here instead. Nil for any other member, or when the central directory cannot be read or
    /// the member does not decode: libarchive then reads it and says what it says.
    private func readEmptyLzmaMember(_ archive: OpaquePointer, _ header: EntryHeader, _ algorithms: [DigestAlgorithm]) -> EntryContent? {
        guard archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_ZIP, source.isSeekable,
              let name = archive_format_name(archive), String(cString: name).hasSuffix("(lzma)") else { return nil }
        guard let directory = centralDirectory(), let member = directory.member(named: header.rawPath),
              member.method == 14, member.size == 0, member.flags & 0x0041 == 0 else { return nil }
        return ZipMemberReading(fd: source.descriptor, fileSize: source.fileSize, progress: progress).read(member, algorithms: algorithms)
    }

    /// The zip's central directory, read once when first needed (nil inside: unreadable).
    private var zipDirectory: ZipDirectory??

    private func centralDirectory() -> ZipDirectory? {
        if zipDirectory == nil { zipDirectory = .some(ZipCatalog.read(fd: source.descriptor, fileSize: source.fileSize)) }
        return zipDirectory ?? nil
    }

    private func makeHeader(_ entry: OpaquePointer) -> EntryHeader {
        let fileType = UInt32(archive_entry_filetype(entry))
        var type: EntryType
        switch fileType {
        case CARCHIVE_AE_IFREG: type = .file
        case CARCHIVE_AE_IFDIR: type = .directory
        case CARCHIVE_AE_IFLNK: type = .symlink
        case CARCHIVE_AE_IFCHR: type = .characterDevice
        case CARCHIVE_AE_IFBLK: type = .blockDevice
        case CARCHIVE_AE_IFIFO: type = .fifo
        case CARCHIVE_AE_IFSOCK: type = .socket
        // Formats without type bits (ar written in deterministic mode) hold plain files.
        case 0: type = .file
        default: type = .unknown
        }
        let hardlink = bytes(archive_entry_hardlink_utf8(entry)) ?? bytes(archive_entry_hardlink(entry))
        if hardlink != nil { type = .hardlink }
        return EntryHeader(
            rawPath: bytes(archive_entry_pathname_utf8(entry)) ?? bytes(archive_entry_pathname(entry)) ?? [],
            type: type,
            size: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
            mode: UInt32(archive_entry_perm(entry)),
            uid: archive_entry_uid(entry),
            gid: archive_entry_gid(entry),
            userName: archive_entry_uname_utf8(entry).map { String(cString: $0) },
            groupName: archive_entry_gname_utf8(entry).map { String(cString: $0) },
            mtime: archive_entry_mtime_is_set(entry) != 0 ? Int64(archive_entry_mtime(entry)) : nil,
            symlinkTarget: type == .symlink ? (bytes(archive_entry_symlink_utf8(entry)) ?? bytes(archive_entry_symlink(entry))) : nil,
            hardlinkTarget: hardlink,
            isEncrypted: archive_entry_is_data_encrypted(entry) != 0)
    }

    private func bytes(_ pointer: UnsafePointer<CChar>?) -> [UInt8]? {
        guard let pointer else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
    }
}
