#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import VerifyCore

/// The bytes of an archive file, as libarchive asks for them: read-only, in large blocks,
/// hashed for the whole-file digest as they go by, and inflated here when the file is gzip
/// (so that every member's CRC-32 and ISIZE are checked), on a thread of its own when asked
/// (`InflateAhead`).
final class FileSource: @unchecked Sendable {
    let path: String
    private let fd: Int32
    let fileSize: Int64
    /// The archive comes as a stream (a pipe): read in order from its start, never seeked or
    /// read twice; `fd` and `fileSize` are unused (-1, 0).
    let stream: ByteStream?
    private let blockSize: Int
    private let progress: ReadProgress
    private let input: UnsafeMutableRawBufferPointer
    /// File offset of the next byte `read` returns (raw) or of the next byte to inflate.
    private var position: Int64 = 0
    private var wholeFile: ContentHasher?
    private var hashedUpTo: Int64 = 0
    /// Total bytes handed out, to notice a parser that reads the same bytes without end.
    private var delivered: Int64 = 0
    /// Bytes the next plain read asks for: small after a seek (the parser wants a header there,
    /// and a sample seeks past most of the file), doubling back up to `blockSize` as it goes on.
    private var readSize: Int

    /// Replaced, before the first read, by a `GzipCheckpointInflater` on a read that records a
    /// seek index (`recordGzipCheckpoints`).
    private var gzip: (any GzipDecoder)?
    private var checkpointer: GzipCheckpointInflater?
    /// Reading the decompressed stream from an offset through a seek index (`moveDecoded`).
    private var seeker: (any DecodedSeeking)?
    private let output: UnsafeMutableRawBufferPointer?
    private var inputStart = 0
    private var inputEnd = 0
    private var inputAtEOF = false
    private var gzipEnded = false
    /// Damage found after good output that was handed out first (a bad trailer).
    private var pendingDamage: String?

    /// Inflates on its own thread, when gzip is inflated ahead.
    private let inflatesAhead: Bool
    private var ahead: InflateAhead?

    /// zstd, xz, bzip2, lz4 or lzip decompressed on the inflating thread, when reading ahead.
    private var streamDecoder: (any BlockDecoder)?
    /// The same streams decompressed here, block by block, when not reading ahead.
    private let inlineDecoder: StreamDecoder?
    /// The latest bytes of the stream decoded here (gzip or a decoder above), for a tar's end.
    private var recent = RecentBytes()
    /// The stream is decoded here (not by the parser, not a plain file). A stream always is.
    private var decodesHere: Bool { gzip != nil || streamDecoder != nil || inlineDecoder != nil || stream != nil }

    /// Set by whichever thread reads the file; read by the parser's.
    private let reasons = Mutex<(damage: String?, ioError: String?, filters: [String])>((nil, nil, []))
    /// Damage found in the container (gzip) or a loop of the parser: the archive is bad.
    private(set) var damage: String? {
        get { reasons.withLock { $0.damage } }
        set { reasons.withLock { $0.damage = newValue } }
    }
    /// An I/O error: the archive could not be read.
    private(set) var ioError: String? {
        get { reasons.withLock { $0.ioError } }
        set { reasons.withLock { $0.ioError = newValue } }
    }

    /// The file starts with a zip local header.
    let looksLikeZip: Bool
    /// The open descriptor, for a second reader of the same file.
    var descriptor: Int32 { fd }
    /// The stream is decompressed on a thread of its own: the parser's thread has time to hash.
    var isInflatedAhead: Bool { gzip != nil && inflatesAhead || streamDecoder != nil }
    /// The filters decompressed here (not by the parser), outermost first.
    var decodedFilters: [String] { gzip != nil ? ["gzip"] : reasons.withLock { $0.filters } }
    /// Bytes of the file read so far (a seek past data does not count; a seek back reads again).
    var rawBytesRead: Int64 { bytesFromFile + (seeker?.bytesRead ?? 0) }
    private var bytesFromFile: Int64 = 0

    init(
        path: String, wholeFileAlgorithms: [DigestAlgorithm], blockSize: Int, progress: ReadProgress,
        gzipBackend: GzipBackend = .preferred, inflateAhead: Bool = false, duplicating shared: Int32? = nil,
        stream: ByteStream? = nil
    ) throws(ArchiveReadError) {
        self.path = path
        self.stream = stream
        self.inflatesAhead = inflateAhead
        self.readSize = blockSize
        self.blockSize = blockSize
        self.progress = progress
        let opened = try Self.open(path, duplicating: shared, stream: stream)
        self.fd = opened.descriptor
        self.fileSize = opened.size
        if stream == nil { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) }
        self.input = .allocate(byteCount: blockSize, alignment: 64)
        self.wholeFile = wholeFileAlgorithms.isEmpty ? nil : ContentHasher(algorithms: wholeFileAlgorithms)

        let magic = Self.magic(fd, stream)
        // A zip from a stream is read by its local headers (libarchive's streaming reader).
        looksLikeZip = stream == nil && magic.starts(with: [0x50, 0x4b, 0x03, 0x04])
        let isGzip = magic.starts(with: [0x1f, 0x8b])
        // A stream is decoded here whatever its filter (none included), so that the bytes the
        // parser read pass through here: a tar's end is checked on them, never on a second read.
        let compressed = ZstdDecoder.recognises(magic) || StreamDecoder.recognises(magic) || stream != nil && !isGzip
        streamDecoder = inflateAhead ? Self.decoderAhead(magic, compressed: compressed) : nil
        // One thread: libarchive's own filters still decode (zstd included), through a handle
        // of their own, so that the decoded bytes pass through here.
        inlineDecoder = !inflateAhead && compressed && shared == nil ? StreamDecoder() : nil
        if isGzip {
            do {
                gzip = try gzipBackend.makeDecoder()
            } catch {
                input.deallocate()
                close(fd)
                throw error
            }
            // Inflated ahead, the bytes go to the inflating thread's slots instead.
            output = inflateAhead ? nil : .allocate(byteCount: blockSize, alignment: 64)
        } else {
            gzip = nil
            output = nil
        }
    }

    /// The descriptor to read and the file's size: none for a stream (rewound to its start), a
    /// duplicate of `shared` (a second reader of the same file: the same file even if the path
    /// was replaced in between; reads are preads, no shared offset), or the file at `path`.
    private static func open(_ path: String, duplicating shared: Int32?, stream: ByteStream?) throws(ArchiveReadError) -> (descriptor: Int32, size: Int64) {
        if let stream {
            // From its start again (a second reader of a stream: read again as one stream).
            guard stream.rewind() else {
                throw ArchiveReadError(code: .io, message: "the stream went past the bytes kept to read it again from its start; use --spool DIR", path: path)
            }
            return (-1, 0)
        }
        let fd: Int32
        if let shared {
            fd = fcntl(shared, F_DUPFD_CLOEXEC, 0)
            guard fd >= 0 else { throw ArchiveReadError(code: .io, message: String(cString: strerror(errno)), path: path) }
        } else {
            switch DestinationFile.open(path, extraFlags: FileSource.noAccessTimeFlag) {
            case .success(let opened): fd = opened
            case .failure(let problem): throw ArchiveReadError(problem, path: path)
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            close(fd)
            throw ArchiveReadError(code: .io, message: String(cString: strerror(error)), path: path)
        }
        return (fd, Int64(info.st_size))
    }

    /// The first 6 bytes of the file or stream (fewer when it is shorter).
    private static func magic(_ fd: Int32, _ stream: ByteStream?) -> [UInt8] {
        if let stream { return stream.head(6) }
        var magic = [UInt8](repeating: 0, count: 6)
        let got = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 6, 0) }
        return Array(magic.prefix(max(got, 0)))
    }

    /// The decoder of a compressed stream on the inflating thread: zstd's own, or libarchive's
    /// filters (`StreamDecoder`) for the others; nil for gzip (inflated here) and plain files.
    private static func decoderAhead(_ magic: [UInt8], compressed: Bool) -> (any BlockDecoder)? {
        if ZstdDecoder.recognises(magic) { return ZstdDecoder() }
        return compressed ? StreamDecoder() : nil
    }

    deinit {
        input.deallocate()
        output?.deallocate()
        if fd >= 0 { close(fd) }
    }

    /// Linux's O_NOATIME (a GNU extension Glibc's module does not export): reading a backup
    /// does not touch its access time. Only the owner or root may use it; others open without.
    static let noAccessTimeFlag: Int32 = 0o1000000

    // MARK: Raw file access

    /// Reads the next block of the file into `input` at the current position.
    private func readRaw(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        progress.waitingOnDisk.add(1, ordering: .relaxed)
        defer { progress.waitingOnDisk.subtract(1, ordering: .relaxed) }
        while true {
            // pread at our own position: a skip or seek costs no system call.
            let n = stream?.read(into: buffer) ?? pread(fd, buffer.baseAddress, buffer.count, off_t(position))
            if n < 0, let stream {
                ioError = stream.failure ?? "read error at byte \(position)"
                return -1
            }
            if n >= 0 {
                hashRange(from: position, buffer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                position += Int64(n)
                progress.addRawBytes(n)
                bytesFromFile += Int64(n)
                return n
            }
            if errno == EINTR { continue }
            ioError = "read error at byte \(position): \(String(cString: strerror(errno)))"
            return -1
        }
    }

    /// Folds bytes at `offset` into the whole-file digest, in file order: bytes before
    /// `hashedUpTo` were hashed already; a gap after it (the parser seeked forward) is read first.
    private func hashRange(from offset: Int64, buffer: UnsafeRawBufferPointer) {
        guard wholeFile != nil, !buffer.isEmpty else { return }
        if offset > hashedUpTo, !hashGap(upTo: offset) { return }
        let end = offset + Int64(buffer.count)
        guard end > hashedUpTo else { return }
        let skip = Int(hashedUpTo - offset)
        wholeFile!.update(UnsafeRawBufferPointer(rebasing: buffer[skip...]))
        hashedUpTo = end
    }

    private func hashGap(upTo offset: Int64) -> Bool {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
        defer { scratch.deallocate() }
        while hashedUpTo < offset {
            let want = Int(min(Int64(blockSize), offset - hashedUpTo))
            let n = pread(fd, scratch.baseAddress, want, off_t(hashedUpTo))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                ioError = "read error at byte \(hashedUpTo): \(n < 0 ? String(cString: strerror(errno)) : "unexpected end of file")"
                return false
            }
            wholeFile!.update(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            hashedUpTo += Int64(n)
            progress.addRawBytes(n)
            bytesFromFile += Int64(n)
        }
        return true
    }

    // MARK: What libarchive calls

    /// The next block for libarchive, or -1 on damage or error. `block` points into our buffers.
    func nextBlock(_ block: inout UnsafeRawPointer?) -> Int {
        progress.tick()
        // The block handed out last may be written over from here on.
        if decodesHere { recent.retire() }
        let n: Int
        if let seeker {
            n = seeker.next(&block)
            if n < 0 { damage = seeker.damage }
        } else if let streamDecoder {
            if ahead == nil {
                nonisolated(unsafe) let source = self
                nonisolated(unsafe) let decoder = streamDecoder
                ahead = InflateAhead { output in
                    let (n, failure) = decoder.fill(output, from: source)
                    source.decoded(by: decoder, failure)
                    return n
                }
            }
            n = ahead!.next(&block)
        } else if let inlineDecoder {
            let (count, failure) = inlineDecoder.next(&block, from: self)
            decoded(by: inlineDecoder, failure)
            n = count
        } else if gzip != nil, inflatesAhead {
            if ahead == nil {
                nonisolated(unsafe) let source = self
                ahead = InflateAhead { source.nextInflatedBlock(into: $0) }
            }
            n = ahead!.next(&block)
        } else if gzip != nil {
            n = nextInflatedBlock(into: output!)
            block = UnsafeRawPointer(output!.baseAddress)
        } else {
            n = readRaw(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<readSize]))
            readSize = min(readSize * 2, blockSize)
            block = UnsafeRawPointer(input.baseAddress)
        }
        guard n >= 0 else { return -1 }
        if decodesHere, n > 0, let block { recent.handOut(UnsafeRawBufferPointer(start: block, count: n)) }
        delivered += Int64(n)
        if delivered > FileSource.rereadLimit(fileSize), isSeekable {
            damage = "parser stalled: it read the file over and over (\(delivered) bytes from a \(fileSize)-byte file)"
            return -1
        }
        return n
    }

    static func rereadLimit(_ size: Int64) -> Int64 { size * 8 + 64 << 20 }

    /// After a decoder's step: the filters it found, and why it failed, if it did.
    private func decoded(by decoder: any BlockDecoder, _ failure: BlockDecoderFailure?) {
        let names = decoder.filterNames
        if !names.isEmpty { reasons.withLock { if $0.filters.isEmpty { $0.filters = names } } }
        switch failure {
        case .damage(let why)?: damage = why
        case .outOfMemory(let why)?: ioError = ArchiveReader.outOfMemory(why)
        case nil: break  // the source recorded an I/O error itself
        }
    }

    /// Skips forward without reading, where the source is a plain file. Returns bytes skipped.
    func skip(_ request: Int64) -> Int64 {
        progress.tick()
        guard gzip == nil, request > 0 else { return 0 }
        let amount = min(request, max(0, fileSize - position))
        guard amount > 0 else { return 0 }
        position += amount
        readSize = FileSource.readSizeAfterSeek
        return amount
    }

    /// Moves to an offset, for formats that read from the end (zip's central directory, 7z).
    func seek(_ offset: Int64, whence: Int32) -> Int64 {
        progress.tick()
        guard gzip == nil else { return -1 }
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = fileSize
        default: return -1
        }
        let result = base + offset
        guard result >= 0 else { return -1 }
        if result != position { readSize = FileSource.readSizeAfterSeek }
        position = result
        return position
    }

    var isSeekable: Bool { !decodesHere }

    /// The next block of the file for the stream decoder's own libarchive handle.
    func rawBlock(_ block: inout UnsafeRawPointer?) -> Int {
        block = UnsafeRawPointer(input.baseAddress)
        return readRaw(into: input)
    }

    static let readSizeAfterSeek = 1 << 10

    // MARK: gzip

    /// A gzip file, read from disk (not a stream).
    var isGzipFile: Bool { gzip != nil && stream == nil }

    /// Inflates with zlib, recording checkpoints for a seek index. Only before the first read.
    func recordGzipCheckpoints(spacing: Int64?) {
        guard isGzipFile, ahead == nil, delivered == 0, seeker == nil, let decoder = try? GzipCheckpointInflater(spacing: spacing) else { return }
        gzip = decoder
        checkpointer = decoder
    }

    var recordsGzipCheckpoints: Bool { checkpointer != nil }

    /// The checkpoints recorded on this read and the decompressed length, when recording.
    var gzipCheckpoints: (points: [SeekIndex.Checkpoint], decodedSize: Int64)? { checkpointer?.checkpoints }

    /// Makes the next blocks the decompressed stream from `offset` on, through `index`'s
    /// checkpoints. Nil when done, else why not.
    func moveDecoded(to offset: Int64, through index: SeekIndex) -> String? {
        if index.kind == .xzTar {
            guard isXzFile, ahead == nil, delivered == 0 || seeker != nil else { return "the archive is not an xz file read from disk" }
            if seeker == nil { seeker = XzSeekReader(fd: fd, index: index, progress: progress) }
            return seeker!.position(at: offset)
        }
        if index.kind == .zstdTar {
            guard isZstdFile, ahead == nil, delivered == 0 || seeker != nil else { return "the archive is not a zstd file read from disk" }
            if seeker == nil { seeker = ZstdSeekReader(fd: fd, index: index, progress: progress) }
            return seeker!.position(at: offset)
        }
        guard isGzipFile, ahead == nil else { return "the archive is not a gzip file read from disk" }
        if seeker == nil { seeker = GzipSeekReader(fd: fd, fileSize: fileSize, index: index, progress: progress) }
        return seeker!.position(at: offset)
    }

    // MARK: xz

    /// An xz file read from disk.
    private(set) lazy var isXzFile: Bool = stream == nil && gzip == nil
        && FileBytes.read(fd, at: 0, count: 6) == [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]

    /// The block starts of this xz file (from its own index), those closer than `spacing` dropped,
    /// and the decompressed length.
    func xzBlocks(spacing: Int64?) -> Result<(points: [SeekIndex.Checkpoint], decodedSize: Int64), SeekIndexError> {
        XzBlockIndex.read(fd: fd, fileSize: fileSize).map { ($0.checkpoints(spacing: spacing ?? SeekIndex.minimumFrameSpacing), $0.decodedSize) }
    }

    // MARK: zstd

    /// A zstd file read from disk (it starts with a zstd frame or a skippable frame).
    var isZstdFile: Bool {
        stream == nil && gzip == nil && ZstdDecoder.recognisesFrames(FileBytes.read(fd, at: 0, count: 4) ?? [])
    }

    /// Decompresses with libzstd (on the read-ahead thread), recording frame starts for a seek
    /// index. Only before the first read.
    func recordZstdFrames(spacing: Int64?) {
        guard isZstdFile, ahead == nil, delivered == 0, seeker == nil else { return }
        let decoder = ZstdDecoder()
        decoder.frames = ZstdFrameRecorder(spacing: spacing)
        streamDecoder = decoder
    }

    var recordsZstdFrames: Bool { (streamDecoder as? ZstdDecoder)?.frames != nil }

    /// The frame starts recorded on this read and the decompressed length, when recording.
    var zstdFrames: (points: [SeekIndex.Checkpoint], decodedSize: Int64)? {
        (streamDecoder as? ZstdDecoder)?.frames?.checkpoints(fileSize: fileSize)
    }

    /// Stops the inflating thread, if there is one (reading ended early).
    func stopReadingAhead() {
        ahead?.stop()
    }

    private func nextInflatedBlock(into output: UnsafeMutableRawBufferPointer) -> Int {
        guard let gzip else { return 0 }
        while true {
            if let pendingDamage {
                damage = pendingDamage
                return -1
            }
            if gzipEnded { return 0 }
            if inputStart == inputEnd {
                if inputAtEOF {
                    if gzip.atMemberEnd || gzip.membersFinished > 0 && gzip.atMemberEnd {
                        gzipEnded = true
                        return 0
                    }
                    damage = "gzip data is truncated: the file ends inside member \(gzip.membersFinished + 1)"
                    return -1
                }
                let n = readRaw(into: input)
                guard n >= 0 else { return -1 }
                inputStart = 0
                inputEnd = n
                if n == 0 { inputAtEOF = true; continue }
            }
            if gzip.atMemberEnd {
                // After a member: another member, zero padding, or garbage.
                let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[inputStart..<inputEnd])
                if rest[0] == 0 {
                    guard trailingBytesAreZero() else { return -1 }
                    gzipEnded = true
                    return 0
                }
                if rest[0] != 0x1f || (rest.count > 1 && rest[1] != 0x8b) {
                    damage = "garbage after gzip member \(gzip.membersFinished) (at byte \(position - Int64(inputEnd - inputStart)))"
                    return -1
                }
            }
            checkpointer?.inputOffset = position - Int64(inputEnd - inputStart)
            let step = gzip.inflate(
                input: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[inputStart..<inputEnd]),
                output: output)
            switch step {
            case .damaged(let message, let produced):
                if produced > 0 {
                    pendingDamage = message
                    return produced
                }
                damage = message
                return -1
            case .progress(let consumed, let produced):
                inputStart += consumed
                if produced > 0 { return produced }
                if consumed == 0, !gzip.atMemberEnd, inputStart < inputEnd {
                    damage = "gzip member \(gzip.membersFinished + 1): the inflater made no progress"
                    return -1
                }
            }
        }
    }

    /// Zero bytes after the last member (tape-block padding) are accepted; anything else is not.
    private func trailingBytesAreZero() -> Bool {
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[inputStart..<inputEnd])
            if let bad = rest.firstIndex(where: { $0 != 0 }) {
                damage = "garbage after the last gzip member (at byte \(position - Int64(rest.count - bad)))"
                return false
            }
            let n = readRaw(into: input)
            guard n >= 0 else { return false }
            inputStart = 0
            inputEnd = n
            if n == 0 { inputAtEOF = true; return true }
        }
    }

    /// Reads what the parser left unread: the rest of a gzip stream (to check its trailers) and
    /// the rest of the file (for the whole-file digest). Returns false on damage or error.
    func drain() -> Bool {
        var nobody = NoObserver()
        return drain(observing: &nobody, from: nil, parserDecoded: false).ok
    }

    private struct NoObserver: StreamObserver {
        mutating func observe(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {}
        mutating func observeZeros(_ count: Int64, at offset: Int64) {}
        var hasSeenEnough: Bool { true }
    }

    /// `drain()`, showing `observer` the stream as the parser read it (decoded) from stream offset
    /// `offset` to its end (what a tar's end is checked on, `TarEnd`): the bytes handed out last,
    /// then the rest as it is drained. `parserDecoded`: libarchive decoded the stream inside the
    /// parser's handle (a filter not decoded here), so it is decoded once more for this.
    /// Returns the offset where the stream ends, when it was seen.
    func drain(
        observing observer: inout some StreamObserver, from offset: Int64?, parserDecoded: Bool
    ) -> (ok: Bool, streamEnd: Int64?) {
        var streamEnd: Int64?
        if decodesHere {
            if let offset, let held = recent.bytes(from: offset) {
                held.withUnsafeBytes { observer.observe($0, at: offset) }
            }
            while true {
                var block: UnsafeRawPointer?
                let n = nextBlock(&block)
                if n < 0 { return (false, nil) }
                if n == 0 { break }
                if offset != nil, !observer.hasSeenEnough, let block {
                    observer.observe(UnsafeRawBufferPointer(start: block, count: n), at: recent.total - Int64(n))
                }
            }
            streamEnd = recent.total
        } else if let offset {
            if parserDecoded {
                streamEnd = decodeAgain(from: offset, &observer)
            } else {
                guard scanFile(from: offset, &observer) else { return (false, nil) }
                streamEnd = fileSize
            }
        }
        if wholeFile != nil {
            let end = fileSize
            if hashedUpTo < end, !hashGap(upTo: end) { return (false, nil) }
        }
        return (true, streamEnd)
    }

    /// Linux's SEEK_DATA: the next offset that holds data, past a hole of a sparse file.
    private static let seekData: Int32 = 3

    /// The plain file from `offset` on, to `observer` (until it has seen enough). Holes of a
    /// sparse file are zeros, told without reading them.
    private func scanFile(from offset: Int64, _ observer: inout some StreamObserver) -> Bool {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
        defer { scratch.deallocate() }
        var at = max(offset, 0)
        while at < fileSize, !observer.hasSeenEnough {
            progress.tick()
            let data = lseek(fd, off_t(at), FileSource.seekData)
            if data > at || data < 0 && errno == ENXIO {
                let holeEnd = data < 0 ? fileSize : min(Int64(data), fileSize)
                observer.observeZeros(holeEnd - at, at: at)
                at = holeEnd
                continue
            }
            let n = pread(fd, scratch.baseAddress, Int(min(Int64(blockSize), fileSize - at)), off_t(at))
            if n < 0, errno == EINTR { continue }
            if n < 0 {
                ioError = "read error at byte \(at): \(String(cString: strerror(errno)))"
                return false
            }
            if n == 0 { break }
            progress.addRawBytes(n)
            bytesFromFile += Int64(n)
            observer.observe(UnsafeRawBufferPointer(rebasing: scratch[0..<n]), at: at)
            at += Int64(n)
        }
        return true
    }

    /// The stream libarchive decoded inside the parser's handle (a filter not decoded here:
    /// compress, lzma, lzop, uuencode...), decoded once more from the start on a duplicate
    /// descriptor, to `observer` from `offset` on. Returns where it ends; nil when it could not
    /// be read again (then nothing is claimed about it).
    private func decodeAgain(from offset: Int64, _ observer: inout some StreamObserver) -> Int64? {
        guard let again = try? FileSource(path: path, wholeFileAlgorithms: [], blockSize: blockSize, progress: progress, duplicating: fd)
        else { return nil }
        let decoder = StreamDecoder()
        var at: Int64 = 0
        while true {
            progress.tick()
            var block: UnsafeRawPointer?
            let (n, _) = decoder.next(&block, from: again)
            if n < 0 { return nil }
            if n == 0 { return at }
            if !observer.hasSeenEnough, let block, at + Int64(n) > offset {
                observer.observe(UnsafeRawBufferPointer(start: block, count: n), at: at)
            }
            at += Int64(n)
        }
    }

    /// What is wrong with the end of a zip (`ZipCatalog.endProblem`), if anything. Without a
    /// good end record libarchive falls back to reading local headers and notices nothing.
    func zipEndProblem() -> String? {
        ZipCatalog.endProblem(fd: fd, fileSize: fileSize)
    }

    /// The file or stream holds no byte (a stream that failed before its first byte is not
    /// empty: its failure is told at the first read).
    var isEmpty: Bool { stream.map { $0.head(1).isEmpty && $0.failure == nil } ?? (fileSize == 0) }

    /// The first `count` bytes, without moving on; fewer when there are fewer, nil when they
    /// cannot be read.
    func head(_ count: Int) -> [UInt8]? {
        if let stream { return stream.head(count) }
        return FileBytes.read(fd, at: 0, count: count)
    }

    /// `count` bytes at `offset` of the stream as the parser read it (decoded), from those
    /// still held (`RecentBytes`): a header the parser has just read. Nil when they are not held,
    /// or the stream is not decoded here.
    func recentBytes(at offset: Int64, count: Int) -> [UInt8]? {
        guard decodesHere, let held = recent.bytes(from: offset), held.count >= count else { return nil }
        return Array(held.prefix(count))
    }

    /// The whole-file digests, after `drain()`.
    func wholeFileDigests() -> [Digest] { wholeFile?.finalize() ?? [] }
}

/// Sees a stream's bytes in order, each piece at its offset (`FileSource.drain(observing:…)`).
protocol StreamObserver {
    mutating func observe(_ bytes: UnsafeRawBufferPointer, at offset: Int64)
    /// `count` bytes of zeros at `offset`: a hole of a sparse file, not read.
    mutating func observeZeros(_ count: Int64, at offset: Int64)
    /// Nothing more is to be learnt from the bytes that follow but how many there are.
    var hasSeenEnough: Bool { get }
}
