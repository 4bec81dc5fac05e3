import CArchive
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// Zip's fast paths: entries from the central directory, members read apart, readers reopened
/// past a damaged member, and the local headers compared with the directory.
extension ArchiveReader {
    /// The entries of a zip from its central directory; members to read go to the ISA-L
    /// workers (and from them, on any doubt, to a second libarchive reader).
    func walkDirectory(
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

    /// Zip members are independent: after damage in one member's data (libarchive's zip reader
    /// then refuses to go on), a new reader is opened and walked past the `consumed` members
    /// read already, so the members after the damaged one are still read. A damaged local
    /// header cannot be walked past (libarchive parses each header it steps over), and neither
    /// can damage our own source found (I/O, reread limit) or a failed allocation.
    /// Returns the new reader, or nil (the old one is left as it was) when it cannot go on.
    func reopenPastDamagedMember(_ archive: OpaquePointer, consumed: Int, _ outcome: Outcome) -> OpaquePointer? {
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

    /// libarchive reads a seekable zip's members by their local headers and does not compare
    /// them with the central directory, which unzip and Python extract by: a member whose two
    /// records disagree (a name, a method, encryption flags) is damage. Nil when they agree or the
    /// directory cannot be read (ZipCatalog's rules; the end check covers a missing one).
    /// `skipping`: the local headers already compared (the members read directly).
    func zipHeadersProblem(skipping checked: Set<Int64>) -> String? {
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
    func readEmptyLzmaMember(_ archive: OpaquePointer, _ header: EntryHeader, _ algorithms: [DigestAlgorithm]) -> EntryContent? {
        guard archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_ZIP, source.isSeekable,
              let name = archive_format_name(archive), String(cString: name).hasSuffix("(lzma)") else { return nil }
        guard let directory = centralDirectory(), let member = directory.member(named: header.rawPath),
              member.method == 14, member.size == 0, member.flags & 0x0041 == 0 else { return nil }
        return ZipMemberReading(fd: source.descriptor, fileSize: source.fileSize, progress: progress).read(member, algorithms: algorithms)
    }

    func centralDirectory() -> ZipDirectory? {
        if zipDirectory == nil { zipDirectory = .some(ZipCatalog.read(fd: source.descriptor, fileSize: source.fileSize)) }
        return zipDirectory ?? nil
    }
}
