import CArchive
import VerifyCore

/// A zip read from a stream (`ByteStream`): libarchive's streaming reader walks its local
/// headers; its central directory and end records are checked when they arrive (`ZipStreamEnd`).
extension ArchiveReader {
    /// After a header of a zip from a stream: where it was, its name and declared size.
    func noteZipStreamHeader(_ archive: OpaquePointer, _ header: EntryHeader, _ end: inout ZipStreamEnd?) {
        guard source.stream != nil, archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_ZIP else { return }
        if end == nil { end = ZipStreamEnd() }
        end!.headers.append((header.rawPath, archive_read_header_position(archive), header.size))
    }

    /// The reader of a zip from a stream found no more local headers: where it stopped.
    func noteZipStreamEnd(_ archive: OpaquePointer, _ end: inout ZipStreamEnd?) {
        guard source.stream != nil, archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_ZIP else { return }
        if end == nil { end = ZipStreamEnd() }
        end!.readerStopped(at: archive_read_header_position(archive))
    }

    /// A zip stream that ended where a local header or the central directory should start:
    /// libarchive's streaming reader fails there without a reason; this says what happened.
    func noteZipStreamCut(_ archive: OpaquePointer, _ end: ZipStreamEnd?, _ outcome: inout Outcome) {
        guard let stream = source.stream, let last = end?.headers.last, stream.isAtEnd,
              source.ioError == nil, source.damage == nil, archive_error_string(archive) == nil else { return }
        outcome.damage = "truncated: the stream ends at byte \(stream.byteCount), after member \"\(EntryPath(unnormalized: last.name))\", "
            + "where the next member's local header or the central directory should start"
    }

    /// Reads the rest of a zip's stream (for its digest), keeping its central directory and end
    /// records, and checks them: damage when they disagree with the local headers; what was
    /// not checked goes to the warnings, always.
    func drainZipStream(_ end: inout ZipStreamEnd, _ outcome: inout Outcome) {
        let (ok, streamEnd) = source.drain(observing: &end, from: end.directoryStart, parserDecoded: false)
        guard ok, let streamEnd else {
            outcome.damage = source.damage
            outcome.ioError = source.ioError
            return
        }
        switch end.verdict(streamEnd: streamEnd) {
        case .good(let trailing):
            if trailing > 0 { outcome.warnings.append("\(trailing) bytes follow the zip's end record (a file with them passes too)") }
        case .damaged(let why): outcome.damage = why
        case .unchecked(let why): outcome.warnings.append("zip end records not checked: \(why)")
        }
        outcome.warnings.append(ZipStreamEnd.notChecked)
    }
}
