import CArchive
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// Reading a file as one stream: libarchive's raw format under its filters (or ours: gzip with
/// every member's CRC-32 and ISIZE, zstd with its frame checksums), the content handed to the
/// visitor as one entry.
extension ArchiveReader {
    /// Opens the file as one stream; nil, with why in the outcome, when it cannot be.
    func openSingleStream(_ outcome: inout Outcome) -> OpaquePointer? {
        streamEnds = SingleStreamContent()
        return openArchive(&outcome, singleStream: true)
    }

    /// libarchive found no archive in the file (`why`). A compressed file is read again from its
    /// start as one stream; an uncompressed one is damage (a `.tar` that holds text), unless
    /// `formatPolicy` is `raw` (then it was opened as a stream in the first place).
    func readAgainAsSingleStream(_ outcome: inout Outcome, why: String) -> OpaquePointer? {
        guard !outcome.filters.isEmpty else {
            outcome.damage = "not an archive: \(why) (an uncompressed file that is not an archive; a single stream such as a "
                + "database dump is read as one with format = \"raw\" or --raw)"
            return nil
        }
        source.stopReadingAhead()
        retiredSources.append(source)
        do {
            source = try FileSource(
                path: source.path, wholeFileAlgorithms: options.wholeFileAlgorithms, blockSize: options.blockSize, progress: progress,
                gzipBackend: options.gzipBackend, inflateAhead: options.threads > 1, duplicating: source.descriptor,
                stream: source.stream)
        } catch {
            outcome.ioError = error.description
            return nil
        }
        outcome.damage = nil
        outcome.format = nil
        return openSingleStream(&outcome)
    }

    /// A pg_dump custom-format file: no archive libarchive reads, and no single stream either
    /// (its data blocks are compressed one by one): read by `PgCustomDump`.
    func readPgCustomDump(_ outcome: inout Outcome) {
        if source.stream != nil {
            outcome.format = "pg_dump custom format"
            outcome.ioError = SeekingFormat.pgDumpCustom.streamError
            return
        }
        var dump = PgCustomDump(fd: source.descriptor, fileSize: source.fileSize, progress: progress, wholeFileAlgorithms: options.wholeFileAlgorithms)
        let summary = dump.read()
        outcome.format = "pg_dump custom format"
        outcome.pgCustomDump = summary
        outcome.damage = summary.damage
        outcome.ioError = summary.ioError.map { "\($0)" }
        outcome.bytesRead = source.fileSize
        outcome.wholeFileDigests = summary.damage == nil && summary.ioError == nil && summary.truncation == nil ? summary.wholeFileDigests : []
    }

    /// libarchive's mtree reader also takes text without the `#mtree` signature for an mtree
    /// file when its lines look like one ("nomagic"): `seq 1 200000` read that way gave 200,000
    /// findings, and parsing 20 million such lines (the mtree reader parses them all at its
    /// first header) took seconds. verifyd offers libarchive the mtree format only when the
    /// content, decompressed, starts with the signature (looked at once per reader: 64 KiB at most).
    func startsWithMtreeSignature() -> Bool {
        if let mtreeSignature { return mtreeSignature }
        let signature = Array("#mtree".utf8)
        let head = source.stream.map { StreamHead.read(bytes: $0.head(64 << 10), count: signature.count) }
            ?? StreamHead.read(fd: source.descriptor, count: signature.count)
        let found = head?.starts(with: signature) ?? false
        mtreeSignature = found
        return found
    }

    /// `archive_read_support_format_all` of libarchive 3.6 to 3.8 without mtree.
    static func supportEveryFormatButMtree(_ archive: OpaquePointer) {
        archive_read_support_format_ar(archive)
        archive_read_support_format_cpio(archive)
        archive_read_support_format_empty(archive)
        archive_read_support_format_lha(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_xar(archive)
        archive_read_support_format_warc(archive)
        archive_read_support_format_7zip(archive)
        archive_read_support_format_cab(archive)
        archive_read_support_format_rar(archive)
        archive_read_support_format_rar5(archive)
        archive_read_support_format_iso9660(archive)
        archive_read_support_format_zip(archive)
    }

    /// Reads through the data of a stream the visitor does not want (it is not in the manifest):
    /// its compression is still checked to its end and its ends kept. Why it cannot go on, if so.
    func readStreamThrough(_ archive: OpaquePointer) -> String? {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            switch ArchiveStatus.interpret(archive_read_data_block(archive, &block, &size, &offset), phase: .data) {
            case .ok, .warning:
                progress.tick()
                if size > 0, let block { streamEnds?.add(UnsafeRawBufferPointer(start: block, count: size)) }
            case .end:
                return nil
            case .damagedEntry, .damagedArchive:
                return source.ioError ?? source.damage
                    ?? archive_error_string(archive).map { String(cString: $0) } ?? "libarchive gave no reason"
            }
        }
    }
}

/// The first bytes of a file's content, decompressed by libarchive's filters (a second handle
/// over the same descriptor, read with pread: the main reader's position is not touched).
enum StreamHead {
    private final class Context {
        let fd: Int32
        var offset: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        /// Read from these bytes instead of `fd` (a stream's kept start), when set.
        let bytes: [UInt8]?
        init(fd: Int32, bytes: [UInt8]? = nil) {
            self.fd = fd
            self.bytes = bytes
        }
        deinit { buffer.deallocate() }

        func next() -> Int {
            guard let bytes else { return pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
            let n = max(0, min(buffer.count, bytes.count - Int(offset)))
            bytes.withUnsafeBytes { if n > 0 { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: n) } }
            return n
        }
    }

    /// Up to `count` bytes of the content of a stream's first `bytes`; nil when it cannot be opened.
    static func read(bytes: [UInt8], count: Int) -> [UInt8]? {
        read(Context(fd: -1, bytes: bytes), count: count)
    }

    /// Up to `count` bytes; nil when the stream cannot be opened.
    static func read(fd: Int32, count: Int) -> [UInt8]? {
        read(Context(fd: fd), count: count)
    }

    private static func read(_ context: Context, count: Int) -> [UInt8]? {
        guard let archive = archive_read_new() else { return nil }
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_raw(archive)
        archive_read_set_callback_data(archive, Unmanaged.passUnretained(context).toOpaque())
        archive_read_set_read_callback(archive) { _, data, block in
            let context = Unmanaged<Context>.fromOpaque(data!).takeUnretainedValue()
            while true {
                let n = context.next()
                if n < 0, errno == EINTR { continue }
                if n > 0 { context.offset += Int64(n) }
                block?.pointee = UnsafeRawPointer(context.buffer.baseAddress)
                return n
            }
        }
        var entry: OpaquePointer?
        guard archive_read_open1(archive) == ARCHIVE_OK, archive_read_next_header(archive, &entry) == ARCHIVE_OK else { return nil }
        var head = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = head.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress! + filled, count - filled) }
            if n <= 0 { break }
            filled += n
        }
        return Array(head.prefix(filled))
    }
}
