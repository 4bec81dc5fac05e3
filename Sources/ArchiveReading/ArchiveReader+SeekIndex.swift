import CArchive
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// Reading through a seek index, and recording one on a sequential read.
extension ArchiveReader {
    /// Why `index` cannot serve this read, or nil when it can: it must describe this very file
    /// (`ArchiveIdentity`), and the read must need no byte outside the entries it reads.
    func seekIndexRefusal(_ index: SeekIndex) -> String? {
        switch index.kind {
        case .plainTar:
            guard source.isSeekable, !source.looksLikeZip else { return "the index is for a plain tar, this archive is read through a decompressor" }
        case .gzipTar:
            guard source.isGzipFile else { return "the index is for a gzip file, this archive is not one" }
        case .zstdTar:
            guard source.isZstdFile else { return "the index is for a zstd file, this archive is not one" }
        case .xzTar:
            guard source.isXzFile else { return "the index is for an xz file, this archive is not one" }
        }
        if hashesWholeFile { return "a digest of the whole archive file is asked for" }
        if restore != nil || captureEntry != nil || formatPolicy != .auto { return "this read restores, captures or reads one stream" }
        guard let current = ArchiveIdentity.of(descriptor: source.descriptor, path: source.path) else {
            return "the archive's identity could not be read"
        }
        return index.identity.difference(from: current)
    }

    /// Why reading through a gzip index would cost more than a sequential read (the sampled
    /// entries are spread over most of the stream), or nil.
    func seekIndexCost(_ index: SeekIndex, for visitor: some EntryVisitor) -> String? {
        guard index.kind.isCompressed, index.identity.size > 0 else { return nil }
        let needed = index.entries.map { visitor.needsEntry(rawPath: $0.rawPath, type: $0.type) }
        let span = index.compressedSpan(of: needed)
        let share = Double(span) / Double(index.identity.size)
        // zstd and xz: the same decompressor either way (no ISA-L to race), so a wider span pays.
        guard share > (index.kind == .gzipTar ? gzipSpanLimit : max(gzipSpanLimit, Self.frameSpanLimit)) else { return nil }
        return "the sampled entries lie between checkpoints that span \(Int(share * 100))% of the \(index.kind.filterName) file: reading it whole is faster"
    }

    /// The share of a zstd or xz file past which a sample through its index is read sequentially
    /// instead (`seekIndexCost`); the gzip limit when that one is higher.
    static let frameSpanLimit = 0.8

    /// Hands the visitor every entry the index lists, in order: the entries it needs are read
    /// from their own headers (one libarchive reader per run of consecutive needed entries,
    /// opened at the first one's header), the others only named from the index. Stops with
    /// `.mismatch` at the first header that is not the one the index names.
    func readThroughIndex(_ index: SeekIndex, into visitor: some EntryVisitor, _ outcome: inout Outcome) {
        outcome.format = index.formatName
        outcome.filters = index.kind.isCompressed ? [index.kind.filterName] : []
        let needed = index.entries.map { visitor.needsEntry(rawPath: $0.rawPath, type: $0.type) }
        var next = 0
        for run in SeekIndex.runs(needed) {
            for i in next..<run.lowerBound {
                guard !stopsBeforeEntry(&outcome) else { return }
                guard nameOnly(index.entries[i], into: visitor, &outcome) else { return }
            }
            guard readRun(run, of: index, into: visitor, &outcome) else { return }
            next = run.upperBound
        }
        for i in next..<index.entries.count {
            guard !stopsBeforeEntry(&outcome) else { return }
            guard nameOnly(index.entries[i], into: visitor, &outcome) else { return }
        }
        outcome.seekIndexUse = .used(read: needed.lazy.filter { $0 }.count, total: needed.count)
    }

    private func stopsBeforeEntry(_ outcome: inout Outcome) -> Bool {
        guard progress.stopRequested || isCancelled else { return false }
        outcome.stoppedEarly = true
        return true
    }

    /// An entry the visitor does not need: its name and type from the index, its data skipped.
    private func nameOnly(_ entry: SeekIndex.Entry, into visitor: some EntryVisitor, _ outcome: inout Outcome) -> Bool {
        progress.entryStarted()
        guard visitor.beginEntry(entry.header) == .skip else {
            // The visitor said it did not need the entry, then asked for its data.
            outcome.seekIndexUse = .mismatch("the check asked to read \(EntryPath(unnormalized: entry.rawPath).description), which it said it did not need")
            return false
        }
        appendEnd(PendingEnd(), to: visitor)
        return true
    }

    /// Reads the entries `run` of the index with one reader opened at the first one's header.
    /// False when the run could not be read as the index says (or the archive is damaged there).
    private func readRun(_ run: Range<Int>, of index: SeekIndex, into visitor: some EntryVisitor, _ outcome: inout Outcome) -> Bool {
        let base = index.entries[run.lowerBound].headerOffset
        var scratch = outcome
        if index.kind.isCompressed, let why = source.moveDecoded(to: base, through: index) {
            outcome.seekIndexUse = .mismatch("the \(index.kind.filterName) stream could not be decompressed to offset \(base): \(why)")
            return false
        }
        guard index.kind.isCompressed || source.seek(base, whence: SEEK_SET) == base, let archive = openArchive(&scratch, tarOnly: true) else {
            outcome.seekIndexUse = .mismatch("no tar header could be read at offset \(base)")
            return false
        }
        defer { archive_read_free(archive) }
        var entry: OpaquePointer?
        for i in run {
            guard !stopsBeforeEntry(&outcome) else { return false }
            let expected = index.entries[i]
            let status = ArchiveStatus.interpret(archive_read_next_header(archive, &entry), phase: .header)
            progress.entryStarted()
            guard status == .ok, let entry else {
                outcome.seekIndexUse = .mismatch("the header at offset \(expected.headerOffset) could not be read (\(message(archive)))")
                return false
            }
            let header = makeHeader(entry)
            let position = base + archive_read_header_position(archive)
            let dataOffset = base + archive_filter_bytes(archive, 0)
            if let why = position != expected.headerOffset ? "a header was found at \(position), the index says \(expected.headerOffset)"
                : expected.mismatch(with: header, dataOffset: dataOffset) {
                outcome.seekIndexUse = .mismatch(why)
                return false
            }
            let request = visitor.beginEntry(header)
            let (ending, stop) = readData(archive, entry, header, request)
            appendEnd(ending, to: visitor)
            if let stop, index.kind.isCompressed {
                // Damage in a stream inflated from a checkpoint: the archive's, or the index's
                // lie. The sequential read tells which, and reports it as it always does.
                outcome.seekIndexUse = .mismatch("the stream inflated from the index's checkpoint is damaged: \(stop)")
                return false
            }
            if let stop {
                outcome.damage = stop
                return false
            }
        }
        return true
    }

    // MARK: Recording

    /// Starts recording an index for this read, when asked to and the read may give one.
    func startRecordingIndex(_ outcome: inout Outcome) {
        guard recordsSeekIndex, !isSecondReader else { return }
        if let identity = ArchiveIdentity.of(descriptor: source.descriptor, path: source.path) {
            indexRecorder = SeekIndexRecorder(identity: identity)
            // Before the first read: the checkpoints start at the file's start.
            source.recordGzipCheckpoints(spacing: gzipCheckpointSpacing)
            source.recordZstdFrames(spacing: gzipCheckpointSpacing)
        } else {
            outcome.seekIndexNotBuilt = "the archive's identity could not be read"
        }
    }

    /// Records the entry just read (its header at libarchive's header position).
    func recordForIndex(_ archive: OpaquePointer, _ header: EntryHeader, warned: Bool) {
        guard indexRecorder != nil else { return }
        guard archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_TAR else {
            indexRecorder!.refuse("only a tar has a seek index so far")
            return
        }
        guard archive_filter_count(archive) == 1, source.isSeekable && source.decodedFilters.isEmpty || source.recordsGzipCheckpoints || source.recordsZstdFrames
                || source.isXzFile && source.decodedFilters == ["xz"] else {
            indexRecorder!.refuse("only a plain tar, a tar.gz, a tar.zst of several frames or a tar.xz of several blocks has a seek index so far")
            return
        }
        if warned { indexRecorder!.refuse("a header gave a warning") }
        indexRecorder!.record(
            headerOffset: archive_read_header_position(archive), dataOffset: archive_filter_bytes(archive, 0), header)
    }

    /// Ends recording: the index, when the whole archive was read and found good.
    func finishIndex(_ outcome: inout Outcome) {
        guard var recorder = indexRecorder else { return }
        indexRecorder = nil
        if outcome.damage != nil || outcome.ioError != nil { recorder.refuse("the archive is damaged or could not be read") }
        if outcome.stoppedEarly { recorder.refuse("the read stopped before the end") }
        if !outcome.warnings.isEmpty { recorder.refuse("the reader gave warnings") }
        if outcome.singleStream != nil || outcome.pgCustomDump != nil { recorder.refuse("the file is not an archive") }
        if let frames = source.zstdFrames, frames.points.count < 2 {
            recorder.refuse("the zstd file is one frame: it has no entry point but its start, so a sample reads it sequentially (pzstd, or zstd frames joined, write several frames)")
        }
        var xz: (points: [SeekIndex.Checkpoint], decodedSize: Int64)?
        if recorder.refusal == nil, source.isXzFile {
            switch source.xzBlocks(spacing: gzipCheckpointSpacing) {
            case .success(let blocks) where blocks.points.count < 2:
                recorder.refuse("the xz file is one block: it has no entry point but its start, so a sample reads it sequentially (xz -T0 or pixz write several blocks)")
            case .success(let blocks): xz = blocks
            case .failure(let why): recorder.refuse(why.description)
            }
        }
        let kind: SeekIndex.Kind = xz != nil ? .xzTar : source.recordsZstdFrames ? .zstdTar : .gzipTar
        switch recorder.finish(formatName: outcome.format, gzip: source.gzipCheckpoints ?? source.zstdFrames ?? xz, kind: kind, now: ArchiveIdentity.of(descriptor: source.descriptor, path: source.path)) {
        case .success(let index): outcome.builtSeekIndex = index
        case .failure(let why): outcome.seekIndexNotBuilt = why.description
        }
    }
}

extension ArchiveReader {
    /// Queues an entry's end and tells the visitor of those whose digests are known.
    fileprivate func appendEnd(_ ending: PendingEnd, to visitor: some EntryVisitor) {
        pendingEnds.append(ending)
        deliverEnds(to: visitor, wait: false)
    }
}
