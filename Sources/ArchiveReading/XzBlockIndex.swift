#if canImport(Glibc)
import Glibc
#endif
import CLzma
import VerifyCore

/// The block index an xz file holds at the end of each of its streams (liblzma's `lzma_index`,
/// read with `lzma_file_info_decoder`, which reads only the streams' headers, footers and
/// indexes): where every block starts in the file and in the decompressed stream, and the
/// check of its stream. `xz -T0` and pixz write several blocks; plain `xz` writes one.
final class XzBlockIndex {
    /// One block: its header's file offset, its first byte's offset in the decompressed stream.
    struct Block {
        var compressedOffset: Int64
        var decodedOffset: Int64
        var unpaddedSize: UInt64
        var check: lzma_check
    }

    private let index: OpaquePointer
    private var iterator = lzma_index_iter()

    /// Reads the index of the xz file open as `fd`; nil with why when it cannot be read.
    static func read(fd: Int32, fileSize: Int64) -> Result<XzBlockIndex, SeekIndexError> {
        var stream = lzma_stream()
        var found: OpaquePointer?
        guard lzma_file_info_decoder(&stream, &found, 64 << 20, UInt64(fileSize)) == LZMA_OK else {
            return .failure(SeekIndexError("liblzma could not start reading the xz index"))
        }
        defer { lzma_end(&stream) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { buffer.deallocate() }
        var position: Int64 = 0
        while true {
            if stream.avail_in == 0 {
                let n = pread(fd, buffer.baseAddress, buffer.count, off_t(position))
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { return .failure(SeekIndexError("read error at byte \(position)")) }
                stream.next_in = UnsafePointer(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
                stream.avail_in = n
                position += Int64(n)
            }
            let status = lzma_code(&stream, LZMA_RUN)
            if status == LZMA_STREAM_END { break }
            if status == LZMA_SEEK_NEEDED {
                position = Int64(stream.seek_pos)
                stream.avail_in = 0
                continue
            }
            guard status == LZMA_OK else { return .failure(SeekIndexError("the xz file's index cannot be read (liblzma status \(status.rawValue))")) }
        }
        guard let found else { return .failure(SeekIndexError("the xz file has no index")) }
        return .success(XzBlockIndex(found))
    }

    private init(_ index: OpaquePointer) {
        self.index = index
        lzma_index_iter_init(&iterator, index)
    }

    deinit { lzma_index_end(index, nil) }

    /// The length of the decompressed stream (every stream of the file).
    var decodedSize: Int64 { Int64(clamping: lzma_index_uncompressed_size(index)) }

    /// Every block that holds data, in order.
    var blocks: [Block] {
        var walk = lzma_index_iter()
        lzma_index_iter_init(&walk, index)
        var result: [Block] = []
        while lzma_index_iter_next(&walk, LZMA_INDEX_ITER_NONEMPTY_BLOCK) == 0 { result.append(Self.block(walk)) }
        return result
    }

    /// The block holding decompressed offset `offset`; nil past the end.
    func block(holding offset: Int64) -> Block? {
        guard offset >= 0, lzma_index_iter_locate(&iterator, UInt64(offset)) == 0 else { return nil }
        return Self.block(iterator)
    }

    /// The block after the one `block(holding:)` or `next()` gave last; nil after the last.
    func next() -> Block? {
        lzma_index_iter_next(&iterator, LZMA_INDEX_ITER_NONEMPTY_BLOCK) == 0 ? Self.block(iterator) : nil
    }

    private static func block(_ walk: lzma_index_iter) -> Block {
        Block(
            compressedOffset: Int64(clamping: walk.block.compressed_file_offset), decodedOffset: Int64(clamping: walk.block.uncompressed_file_offset),
            unpaddedSize: walk.block.unpadded_size, check: walk.stream.flags.pointee.check)
    }

    /// The blocks as seek index checkpoints: first the file's start (0, 0: the first block),
    /// then the later blocks, those closer than `spacing` of the file to the last one kept dropped.
    func checkpoints(spacing: Int64) -> [SeekIndex.Checkpoint] {
        var points = [SeekIndex.Checkpoint(decodedOffset: 0, compressedOffset: 0, bits: 0, memberStart: true, window: [])]
        for block in blocks.dropFirst() where block.compressedOffset - points[points.count - 1].compressedOffset >= spacing
            && block.decodedOffset > points[points.count - 1].decodedOffset {
            points.append(SeekIndex.Checkpoint(decodedOffset: block.decodedOffset, compressedOffset: block.compressedOffset, bits: 0, memberStart: true, window: []))
        }
        return points
    }
}
