import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Decompresses an xz, bzip2, lz4 or lzip stream with libarchive's own filters and its "raw"
/// format (no parsing): what `InflateAhead` runs on its thread for a compressed tar other than
/// gzip and zstd, so that the stream is decompressed on one core while the other parses and hashes.
/// With one thread it decodes every one of these and zstd too, block by block without a copy
/// (`next`), in place of the same filters inside the parser's handle.
///
/// Used from the producing thread only; its libarchive handle reads the file through
/// `FileSource.rawBlock`.
final class StreamDecoder: BlockDecoder {
    /// The stream's magic numbers (xz, bzip2, lz4 frame, lzip; zstd is `ZstdDecoder`'s).
    static func recognises(_ magic: [UInt8]) -> Bool {
        magic.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
            || magic.starts(with: Array("BZh".utf8)) || magic.starts(with: [0x04, 0x22, 0x4D, 0x18])
            || magic.starts(with: Array("LZIP".utf8))
    }

    private var archive: OpaquePointer?
    private var opened = false
    private var pending: UnsafeRawPointer?
    private var pendingCount = 0
    private var ended = false
    /// The stream failed (why: nil when the source recorded an I/O error); told again on every
    /// later call, including the one after bytes that were handed out first.
    private var failed = false
    private var failureReason: BlockDecoderFailure?
    private(set) var filterNames: [String] = []

    deinit {
        if let archive { archive_read_free(archive) }
    }

    func fill(_ output: UnsafeMutableRawBufferPointer, from source: FileSource) -> (Int, BlockDecoderFailure?) {
        if failed { return (-1, failureReason) }
        if !opened {
            opened = true
            guard open(source) else {
                failed = true
                return (-1, failureReason)
            }
        }
        guard let archive else { return (-1, .outOfMemory("libarchive could not allocate a reader")) }
        if ended { return (0, nil) }
        var written = 0
        while written < output.count {
            if pendingCount == 0 {
                var block: UnsafeRawPointer?
                var size = 0
                var offset: la_int64_t = 0
                let status = archive_read_data_block(archive, &block, &size, &offset)
                if status == ARCHIVE_EOF {
                    ended = true
                    break
                }
                guard status == ARCHIVE_OK, let block else {
                    failed = true
                    failureReason = reason(archive, source)
                    return written > 0 ? (written, nil) : (-1, failureReason)
                }
                pending = block
                pendingCount = size
                if size == 0 { continue }
            }
            let n = min(pendingCount, output.count - written)
            UnsafeMutableRawBufferPointer(rebasing: output[written..<written + n]).copyMemory(
                from: UnsafeRawBufferPointer(start: pending, count: n))
            pending = pending! + n
            pendingCount -= n
            written += n
        }
        return (written, nil)
    }

    /// The next block straight from libarchive's filter (no copy; valid until the next call):
    /// its byte count, 0 at the end, or -1 with why. For a run on one thread, which decodes
    /// where it parses: the same filters libarchive would run inside the parser's own handle,
    /// but the decoded bytes pass through `FileSource` (which a tar's end is checked on).
    func next(_ block: inout UnsafeRawPointer?, from source: FileSource) -> (Int, BlockDecoderFailure?) {
        if failed { return (-1, failureReason) }
        if !opened {
            opened = true
            guard open(source) else {
                failed = true
                return (-1, failureReason)
            }
        }
        guard let archive else { return (-1, .outOfMemory("libarchive could not allocate a reader")) }
        while !ended {
            var size = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(archive, &block, &size, &offset)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK else {
                failed = true
                failureReason = reason(archive, source)
                return (-1, failureReason)
            }
            if size > 0, block != nil { return (size, nil) }
        }
        ended = true
        return (0, nil)
    }

    /// Opens the stream; false (with `failureReason`) when it cannot be.
    private func open(_ source: FileSource) -> Bool {
        guard let archive = archive_read_new() else {
            failureReason = .outOfMemory("libarchive could not allocate a reader")
            return false
        }
        self.archive = archive
        archive_read_support_filter_all(archive)
        archive_read_support_format_raw(archive)
        archive_read_set_callback_data(archive, Unmanaged.passUnretained(source).toOpaque())
        archive_read_set_read_callback(archive) { _, context, block in
            let source = Unmanaged<FileSource>.fromOpaque(context!).takeUnretainedValue()
            var pointer: UnsafeRawPointer?
            let n = source.rawBlock(&pointer)
            block?.pointee = pointer
            return n
        }
        var entry: OpaquePointer?
        var status = archive_read_open1(archive)
        if status == ARCHIVE_OK {
            status = archive_read_next_header(archive, &entry)
            // An empty stream: no data, which the parser then reports.
            if status == ARCHIVE_EOF { ended = true; status = ARCHIVE_OK }
        }
        guard status == ARCHIVE_OK else {
            failureReason = reason(archive, source)
            return false
        }
        let count = archive_filter_count(archive)
        if count > 1 {
            for index in 0..<(count - 1) {
                if let name = archive_filter_name(archive, index) { filterNames.append(String(cString: name)) }
            }
        }
        return true
    }

    private func reason(_ archive: OpaquePointer, _ source: FileSource) -> BlockDecoderFailure? {
        guard source.ioError == nil else { return nil }
        return archive_errno(archive) == ENOMEM ? .outOfMemory(message(archive)) : .damage(message(archive))
    }

    private func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "libarchive gave no reason"
    }
}
