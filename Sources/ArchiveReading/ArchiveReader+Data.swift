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
        guard case .read(let algorithms) = request else { return skipData(archive, entry, header) }
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
        let offloaded = !algorithms.isEmpty && !restoring && !capturing && hashThread.map { !$0.isBacklogged } ?? false
        if offloaded { hashThread!.begin(algorithms) }
        var read = DataRead(
            hasher: ContentHasher(reading: offloaded ? [] : algorithms), offloaded: offloaded, restoring: restoring, capturing: capturing,
            cpioCheck: cpioCheck)
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = ArchiveStatus.interpret(archive_read_data_block(archive, &block, &size, &offset), phase: .data)
            switch status {
            case .ok, .warning: take(block, size, at: offset, &read)
            case .end: return endData(entry, header, &read)
            case .damagedEntry, .damagedArchive: return dataDamage(archive, header, status, byteCount: read.hasher.byteCount)
            }
        }
    }

    /// What reading one entry's data keeps from block to block.
    struct DataRead {
        var hasher: ContentHasher
        /// The digests are taken on the hashing thread (`hasher` only counts).
        let offloaded: Bool
        let restoring: Bool
        let capturing: Bool
        /// The cpio header's checksum, and the sum of the data so far.
        let cpioCheck: UInt32?
        var cpioSum: UInt32 = 0
    }

    /// One block of the entry's data, at `offset` in the entry (past a hole when sparse): hashed
    /// (here or there), summed, restored, captured.
    @inline(__always)
    private func take(_ block: UnsafeRawPointer?, _ size: Int, at offset: la_int64_t, _ read: inout DataRead) {
        progress.tick()
        // Sparse entries: the offset jumps over holes, which read as zeros.
        if offset > read.hasher.byteCount {
            if read.offloaded { hashThread!.addZeros(offset - read.hasher.byteCount) }
            read.hasher.updateZeros(count: offset - read.hasher.byteCount)
        }
        guard size > 0, let block else { return }
        let chunk = UnsafeRawBufferPointer(start: block, count: size)
        if read.cpioCheck != nil { read.cpioSum = chunk.reduce(read.cpioSum) { $0 &+ UInt32($1) } }
        streamEnds?.add(chunk)
        if read.offloaded { hashThread!.add(chunk) }
        read.hasher.update(chunk)
        if read.restoring, restore?.write(block, count: size, offset: offset) == false { progress.requestStop() }
        if read.capturing, let limit = captureEntry?.limit {
            if (captured?.count ?? 0) + size > limit { capturedOverflow = true } else { captured?.append(contentsOf: chunk) }
        }
    }

    /// The entry's data ended: its cpio checksum checked, a sparse file's trailing hole hashed,
    /// its digests taken (or their ticket from the hashing thread).
    private func endData(_ entry: OpaquePointer, _ header: EntryHeader, _ read: inout DataRead) -> (PendingEnd, String?) {
        if let cpioCheck = read.cpioCheck, cpioCheck != read.cpioSum {
            let damage = "cpio checksum mismatch: the header says \(cpioCheck.hexWord), the data sums to \(read.cpioSum.hexWord)"
            return (PendingEnd(content: EntryContent(digests: [], byteCount: read.hasher.byteCount, damage: damage)), nil)
        }
        if archive_entry_sparse_count(entry) > 0, let declared = header.size, declared > read.hasher.byteCount {
            if read.offloaded { hashThread!.addZeros(declared - read.hasher.byteCount) }
            read.hasher.updateZeros(count: declared - read.hasher.byteCount)
        }
        let content = EntryContent(digests: read.hasher.finalize(), byteCount: read.hasher.byteCount)
        return (PendingEnd(ticket: read.offloaded ? hashThread!.end() : nil, content: content), nil)
    }

    /// The entry's data is damaged after `byteCount` bytes (`status`: the entry, or the archive,
    /// which then cannot go on), or libarchive ran out of memory (an I/O error, not damage).
    private func dataDamage(_ archive: OpaquePointer, _ header: EntryHeader, _ status: ArchiveStatus, byteCount: Int64) -> (PendingEnd, String?) {
        if isOutOfMemory(archive) {
            outOfMemory = Self.outOfMemory(message(archive))
            return (PendingEnd(content: EntryContent(digests: [], byteCount: byteCount, damage: outOfMemory)), outOfMemory)
        }
        let reason = sourceReason() ?? message(archive)
        let content = EntryContent(digests: [], byteCount: byteCount, damage: reason, encrypted: header.isEncrypted)
        return (PendingEnd(content: content), status == .damagedArchive ? reason : nil)
    }

    /// The entry is not read: skipped, or, restoring, a folder or symlink restored (whether
    /// sampled or not, so that the tree's folders get their own modes and times).
    private func skipData(_ archive: OpaquePointer, _ entry: OpaquePointer, _ header: EntryHeader) -> (PendingEnd, String?) {
        if let restore, header.type == .directory || header.type == .symlink {
            if restore.begin(entry, path: header.rawPath, hardlinkTarget: nil) { restore.end() }
        }
        if streamEnds != nil { return (PendingEnd(), readStreamThrough(archive)) }
        switch ArchiveStatus.interpret(archive_read_data_skip(archive), phase: .data) {
        case .damagedArchive: return (PendingEnd(), sourceReason() ?? message(archive))
        default: return (PendingEnd(), nil)
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
