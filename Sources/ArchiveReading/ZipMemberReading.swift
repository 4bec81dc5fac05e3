import CIsal
import CLzma
import VerifyCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads one zip member's data straight from the file: its local header checked against the
/// central directory, deflate inflated by ISA-L, CRC-32 and size checked, content hashed.
///
/// It only says "good": any doubt (a damaged or inconsistent member, an I/O error) gives nil,
/// and libarchive then reads that member, so a damaged member is reported in libarchive's words,
/// the same as when one thread reads the whole zip.
final class ZipMemberReading {
    private let fd: Int32
    private let fileSize: Int64
    private let progress: ReadProgress
    private let input: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    private let state: UnsafeMutablePointer<inflate_state>
    /// Bytes read from the file.
    private(set) var bytesRead: Int64 = 0

    static let bufferSize = 256 << 10

    init(fd: Int32, fileSize: Int64, progress: ReadProgress) {
        self.fd = fd
        self.fileSize = fileSize
        self.progress = progress
        input = .allocate(byteCount: Self.bufferSize, alignment: 64)
        output = .allocate(byteCount: Self.bufferSize, alignment: 64)
        state = .allocate(capacity: 1)
    }

    deinit {
        input.deallocate()
        output.deallocate()
        state.deallocate()
    }

    /// The member's content, or nil when libarchive must read it.
    func read(_ member: ZipMember, algorithms: [DigestAlgorithm]) -> EntryContent? {
        guard let dataStart = checkLocalHeader(member), dataStart + member.compressedSize <= fileSize else { return nil }
        var hasher = ContentHasher(reading: algorithms)
        var crc: UInt32 = 0
        let fold = { (chunk: UnsafeRawBufferPointer) in
            hasher.update(chunk)
            crc = crc32_gzip_refl(crc, chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(chunk.count))
        }
        let read = switch member.method {
        case 0: copyStored(member, from: dataStart, fold)
        case 8: inflate(member, from: dataStart, fold)
        case 14: decodeLzma(member, from: dataStart, fold)
        default: false
        }
        guard read, hasher.byteCount == member.size, crc == member.crc,
              member.flags & 0x0008 == 0 || checkDataDescriptor(member, at: dataStart + member.compressedSize, crc: crc)
        else { return nil }
        return EntryContent(digests: hasher.finalize(), byteCount: hasher.byteCount)
    }

    /// Where the data starts, when the local header agrees with the central directory.
    private func checkLocalHeader(_ member: ZipMember) -> Int64? {
        let headerBytes = 30 + member.name.count
        bytesRead += Int64(headerBytes)
        progress.addRawBytes(headerBytes)
        guard case .agrees(let dataStart) = ZipCatalog.checkLocalHeader(member, fd: fd) else { return nil }
        return dataStart
    }

    /// A data descriptor (after the data, with or without its signature) that agrees.
    private func checkDataDescriptor(_ member: ZipMember, at offset: Int64, crc: UInt32) -> Bool {
        guard let bytes = pread(at: offset, count: Int(min(24, fileSize - offset))), bytes.count >= 12 else { return false }
        let start = bytes.u32(0) == 0x0807_4b50 ? 4 : 0
        guard bytes.count >= start + 12, bytes.u32(start) == crc else { return false }
        if Int64(bytes.u32(start + 4)) == member.compressedSize, Int64(bytes.u32(start + 8)) == member.size { return true }
        return bytes.count >= start + 20 && Int64(bitPattern: bytes.u64(start + 4)) == member.compressedSize
            && Int64(bitPattern: bytes.u64(start + 12)) == member.size
    }

    private func copyStored(_ member: ZipMember, from start: Int64, _ fold: (UnsafeRawBufferPointer) -> Void) -> Bool {
        var offset = start
        let end = start + member.compressedSize
        while offset < end {
            let n = readChunk(at: offset, count: Int(min(Int64(input.count), end - offset)))
            guard n > 0 else { return false }
            fold(UnsafeRawBufferPointer(rebasing: input[0..<n]))
            offset += Int64(n)
        }
        return true
    }

    private func inflate(_ member: ZipMember, from start: Int64, _ fold: (UnsafeRawBufferPointer) -> Void) -> Bool {
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_DEFLATE)
        var offset = start
        let end = start + member.compressedSize
        var produced: Int64 = 0
        while true {
            if state.pointee.avail_in == 0 {
                guard offset < end else { return false }  // the data ends before the last block
                let n = readChunk(at: offset, count: Int(min(Int64(input.count), end - offset)))
                guard n > 0 else { return false }
                offset += Int64(n)
                state.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                state.pointee.avail_in = UInt32(n)
            }
            state.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_out = UInt32(output.count)
            let inputBefore = state.pointee.avail_in
            let status = isal_inflate(state)
            guard status == ISAL_DECOMP_OK || status == ISAL_END_INPUT || status == ISAL_OUT_OVERFLOW else { return false }
            let count = output.count - Int(state.pointee.avail_out)
            // No input taken and nothing made: it would never end (libarchive will say why).
            if count == 0, state.pointee.avail_in == inputBefore, state.pointee.block_state != ISAL_BLOCK_FINISH { return false }
            produced += Int64(count)
            guard produced <= member.size else { return false }
            if count > 0 { fold(UnsafeRawBufferPointer(rebasing: output[0..<count])) }
            if state.pointee.block_state == ISAL_BLOCK_FINISH { return true }
        }
    }

    /// A member compressed with LZMA (method 14): a 4-byte version and properties-size header,
    /// the 5 properties bytes, then raw LZMA1 data, with an end marker when flag bit 1 says so.
    private func decodeLzma(_ member: ZipMember, from start: Int64, _ fold: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard member.compressedSize >= 9, let header = pread(at: start, count: 9), header.u16(2) == 5 else { return false }
        var filters = [lzma_filter](repeating: lzma_filter(), count: 2)
        filters[0].id = CLZMA_FILTER_LZMA1
        let decoded = header.withUnsafeBufferPointer { lzma_properties_decode(&filters[0], nil, $0.baseAddress! + 4, 5) }
        guard decoded == LZMA_OK, let options = filters[0].options else { return false }
        defer { free(options) }
        // A dictionary larger than the content is never used: the declared one (up to 4 GiB)
        // is not allocated for a small member.
        let lzma = options.assumingMemoryBound(to: lzma_options_lzma.self)
        lzma.pointee.dict_size = UInt32(clamping: min(Int64(lzma.pointee.dict_size), max(member.size, 4096)))
        filters[1].id = CLZMA_VLI_UNKNOWN
        var stream = lzma_stream()
        guard lzma_raw_decoder(&stream, &filters) == LZMA_OK else { return false }
        defer { lzma_end(&stream) }
        let hasEndMarker = member.flags & 0x0002 != 0
        var offset = start + 9
        let end = start + member.compressedSize
        var produced: Int64 = 0
        while true {
            if stream.avail_in == 0, offset < end {
                let n = readChunk(at: offset, count: Int(min(Int64(input.count), end - offset)))
                guard n > 0 else { return false }
                offset += Int64(n)
                stream.next_in = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: UInt8.self))
                stream.avail_in = n
            }
            stream.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = output.count
            let inputBefore = stream.avail_in
            let status = lzma_code(&stream, LZMA_RUN)
            let count = output.count - stream.avail_out
            produced += Int64(count)
            guard status == LZMA_OK || status == LZMA_STREAM_END, produced <= member.size else { return false }
            if count > 0 { fold(UnsafeRawBufferPointer(rebasing: output[0..<count])) }
            if status == LZMA_STREAM_END { return offset == end && stream.avail_in == 0 }
            // All the data taken, with room left for output: the decoder has given all it can.
            // That is the end only for data written without an end marker.
            if offset == end, stream.avail_in == 0, stream.avail_out > 0 {
                return !hasEndMarker && produced == member.size
            }
            // Neither input taken nor output made: it would never end.
            if count == 0, stream.avail_in == inputBefore { return false }
        }
    }

    private func readChunk(at offset: Int64, count: Int) -> Int {
        progress.waitingOnDisk.add(1, ordering: .relaxed)
        defer { progress.waitingOnDisk.subtract(1, ordering: .relaxed) }
        while true {
            let n = Glibc.pread(fd, input.baseAddress, count, off_t(offset))
            if n < 0, errno == EINTR { continue }
            if n > 0 {
                bytesRead += Int64(n)
                progress.addRawBytes(n)
                progress.tick()
            }
            return n
        }
    }

    private func pread(at offset: Int64, count: Int) -> [UInt8]? {
        guard count > 0, let bytes = FileBytes.read(fd, at: offset, count: count) else { return nil }
        bytesRead += Int64(count)
        progress.addRawBytes(count)
        return bytes
    }
}
