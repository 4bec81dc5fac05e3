import CArchive
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// The libarchive session: a reader opened over the source with its callbacks, and what its
/// statuses and messages mean for the outcome.
extension ArchiveReader {
    /// A libarchive reader over the source, opened (every filter and format). Nil, with why in
    /// the outcome, when it cannot be.
    func openArchive(_ outcome: inout Outcome, singleStream: Bool = false, tarOnly: Bool = false) -> OpaquePointer? {
        guard let archive = archive_read_new() else {
            outcome.ioError = "libarchive could not allocate a reader"
            return nil
        }
        if tarOnly {
            // At a seek index's entry: the header there must read as tar, and nothing else.
            archive_read_support_format_tar(archive)
        } else if singleStream {
            archive_read_support_format_raw(archive)
        } else if startsWithMtreeSignature() {
            archive_read_support_format_all(archive)
        } else {
            Self.supportEveryFormatButMtree(archive)
        }
        if !tarOnly { archive_read_support_filter_all(archive) }

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

    /// Records why reading stopped: our own source's reason first (gzip damage, I/O error),
    /// libarchive's message otherwise.
    func fail(_ archive: OpaquePointer, _ outcome: inout Outcome, context: String?) {
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

    func isOutOfMemory(_ archive: OpaquePointer) -> Bool {
        archive_errno(archive) == ENOMEM && sourceReason() == nil
    }

    func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "libarchive gave no reason"
    }

    func describe(_ archive: OpaquePointer, into outcome: inout Outcome) {
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
}
