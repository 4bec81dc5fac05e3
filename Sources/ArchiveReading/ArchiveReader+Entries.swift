import CArchive
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// The walk over an archive's headers (`readEntries`): each entry's data read into the visitor,
/// then how the archive ended looked at.
extension ArchiveReader {
    /// What the walk keeps from one header to the next.
    struct EntryWalk {
        /// Headers read so far (entries begun).
        var consumed = 0
        var resync = TarHeaderResync()
        /// The name of the last entry read, for where a damaged tar header was.
        var lastName: [UInt8]?
        /// Where a tar's entries ended and its reader stopped, to look at how it ends.
        var tarEnd: TarEnd?
        /// A zip from a stream: its local headers, and its end once the reader stopped.
        var zipEnd: ZipStreamEnd?
    }

    /// Reads header after header, and each entry's data, until the end, damage, or a stop. A
    /// damaged zip member may replace `archive` by a reader opened past it. False when reading
    /// was stopped on purpose (`ReadProgress.requestStop()`, `cancel()`).
    @inline(__always)
    func walkEntries(_ archive: inout OpaquePointer, into visitor: some EntryVisitor, _ walk: inout EntryWalk, _ outcome: inout Outcome) -> Bool {
        var entry: OpaquePointer?
        while true {
            if progress.stopRequested && !isSecondReader || cancelled.load(ordering: .relaxed) {
                outcome.stoppedEarly = true
                return false
            }
            let raw = archive_read_next_header(archive, &entry)
            if raw == ARCHIVE_RETRY, walk.resync.shouldRetry(
                isTar: archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_TAR, position: archive_filter_bytes(archive, 0),
                message: message(archive), after: walk.lastName.map { EntryPath(unnormalized: $0).description })
            {
                progress.tick()
                continue
            }
            let status = ArchiveStatus.interpret(raw, phase: .header)
            if isSecondReader { progress.tick() } else { progress.entryStarted() }
            switch status {
            case .ok, .warning:
                guard let entry, readEntry(&archive, entry, warned: status == .warning, into: visitor, &walk, &outcome) else { return true }
            case .end:
                if archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_TAR, !isSecondReader {
                    // libarchive sets the header position before it looks for a header: where
                    // the last entry's data ended, whatever it then found (and consumed).
                    walk.tarEnd = TarEnd(
                        entriesEnd: archive_read_header_position(archive), readerEnd: archive_filter_bytes(archive, 0),
                        lastEntry: walk.lastName.map { EntryPath(unnormalized: $0).description })
                }
                noteZipStreamEnd(archive, &walk.zipEnd)
                return true
            case .damagedEntry, .damagedArchive:
                fail(archive, &outcome, context: nil)
                noteZipStreamCut(archive, walk.zipEnd, &outcome)
                return true
            }
        }
    }

    /// The entry whose header was just read: begun in the visitor, its data read (or handed to
    /// the split, or skipped), its end queued. False when the archive cannot go on.
    @inline(__always)
    private func readEntry(
        _ archive: inout OpaquePointer, _ entry: OpaquePointer, warned: Bool, into visitor: some EntryVisitor, _ walk: inout EntryWalk,
        _ outcome: inout Outcome
    ) -> Bool {
        var header = makeHeader(entry)
        if streamEnds != nil, let streamName { header.rawPath = streamName.bytes }
        walk.resync.headerRead()
        recordForIndex(archive, header, warned: warned)
        walk.lastName = header.rawPath
        noteZipStreamHeader(archive, header, &walk.zipEnd)
        var headerDamage: String?
        if warned {
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
        walk.consumed += 1
        guard let stop else { return true }
        if let fresh = reopenPastDamagedMember(archive, consumed: walk.consumed, outcome) {
            archive_read_free(archive)
            archive = fresh
            return true
        }
        outcome.damage = zipReopens < Self.zipReopenLimit ? stop
            : "\(stop) (reading stopped: \(Self.zipReopenLimit + 1) members were damaged)"
        return false
    }

    /// After the last entry: the outcome completed from the reader, the stream's or the tar's
    /// end, the rest of the file drained, the whole-file digests, the index recorded.
    func finishEntries(_ archive: OpaquePointer, _ walk: inout EntryWalk, _ outcome: inout Outcome) {
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
            } else if var end = walk.zipEnd {
                drainZipStream(&end, &outcome)
            } else if !drain(checking: &walk.tarEnd, archiveFilters: archive_filter_count(archive)) {
                outcome.damage = source.damage
                outcome.ioError = source.ioError
            } else if let problem = walk.tarEnd?.problem {
                outcome.damage = problem
            }
        }
        outcome.wholeFileDigests = outcome.damage == nil && outcome.ioError == nil ? source.wholeFileDigests() : []
        // Damaged headers stepped over come first: they are where the archive went wrong.
        if let skipped = walk.resync.damage, outcome.ioError == nil {
            outcome.damage = outcome.damage.map { "\(skipped); then: \($0)" } ?? skipped
            outcome.wholeFileDigests = []
        }
        finishIndex(&outcome)
    }
}
