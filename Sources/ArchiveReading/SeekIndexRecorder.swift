import VerifyCore

/// Collects a seek index while an archive is read sequentially from its start; gives it up, and
/// says why, at the first thing that makes its positions unreliable.
struct SeekIndexRecorder {
    /// The archive's identity before the read began.
    let identity: ArchiveIdentity
    private(set) var entries: [SeekIndex.Entry] = []
    /// Why no index is made from this read, once something said so.
    private(set) var refusal: String?

    init(identity: ArchiveIdentity) {
        self.identity = identity
    }

    /// One entry, read at `headerOffset`, its data at `dataOffset`. Offsets must grow.
    mutating func record(headerOffset: Int64, dataOffset: Int64, _ header: EntryHeader) {
        guard refusal == nil else { return }
        let previousEnd = entries.last?.dataOffset ?? 0
        guard headerOffset >= previousEnd, dataOffset > headerOffset else {
            refuse("the reader gave entry positions out of order")
            return
        }
        entries.append(SeekIndex.Entry(
            headerOffset: headerOffset, dataOffset: dataOffset, type: header.type, size: header.size, rawPath: header.rawPath,
            hardlinkTarget: header.type == .hardlink ? header.hardlinkTarget ?? [] : nil))
    }

    mutating func refuse(_ why: String) {
        if refusal == nil { refusal = why }
        entries = []
    }

    /// The index, when the read was whole and good and the file did not change under it.
    /// `gzip`: the checkpoints recorded while inflating, for a tar.gz (or the frame starts of a
    /// tar.zst, `kind` .zstdTar).
    func finish(
        formatName: String?, gzip: (points: [SeekIndex.Checkpoint], decodedSize: Int64)?, kind: SeekIndex.Kind = .gzipTar,
        now current: ArchiveIdentity?
    ) -> Result<SeekIndex, SeekIndexError> {
        if let refusal { return .failure(SeekIndexError(refusal)) }
        guard let current else { return .failure(SeekIndexError("the archive's identity could not be read again")) }
        if let changed = identity.difference(from: current) { return .failure(SeekIndexError("the archive changed while it was read: \(changed)")) }
        guard let gzip else { return .success(SeekIndex(kind: .plainTar, identity: identity, formatName: formatName ?? "tar", entries: entries)) }
        guard gzip.points.first?.compressedOffset == 0, (entries.last?.dataOffset ?? 0) <= gzip.decodedSize else {
            return .failure(SeekIndexError("the \(kind.filterName) checkpoints recorded do not cover the stream"))
        }
        return .success(SeekIndex(
            kind: kind, identity: identity, formatName: formatName ?? "tar", entries: entries, checkpoints: gzip.points,
            decodedSize: gzip.decodedSize))
    }
}
