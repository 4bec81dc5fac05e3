import CArchive
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// An entry's data: read into the hashers (here or on the hashing thread), restored, captured,
/// or skipped.
extension ArchiveReader {
    /// Reads or skips the data of the current entry. Returns the content (nil when skipped), whose
    /// digests may still be coming from the hashing thread, and, when the archive cannot go on, why.
    func readData(_ archive: OpaquePointer, _ entry: OpaquePointer, _ header: EntryHeader, _ request: ContentRequest) -> (PendingEnd, String?) {
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
        var hasher = ContentHasher(reading: offloaded ? [] : algorithms)
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

    func sourceReason() -> String? { source.ioError ?? source.damage }

    /// The checksum in the header of the current entry of an SVR4 "070702" (crc) cpio: the sum
    /// of its data bytes, which libarchive reads and never checks ("XXX TODO" in its cpio
    /// reader). Read back from the file at the header's position, or, for a stream decoded here
    /// (a pipe; gzip, zstd...), from the bytes the parser just read; nil when libarchive decoded
    /// the stream itself, or the header is no longer held.
    func cpioChecksum(_ archive: OpaquePointer) -> UInt32? {
        guard archive_format(archive) == ARCHIVE_FORMAT_CPIO_SVR4_CRC, archive_filter_count(archive) == 1 else { return nil }
        let position = archive_read_header_position(archive)
        // Decoded here (a stream, gzip...): the header is among the bytes the parser just read.
        let read = source.isSeekable ? FileBytes.read(source.descriptor, at: position, count: 110) : source.recentBytes(at: position, count: 110)
        guard position >= 0, let header = read,
              header.starts(with: Array("070702".utf8)) else { return nil }
        return UInt32(String(decoding: header[102..<110], as: UTF8.self), radix: 16)
    }
}
