#if canImport(Glibc)
import Glibc
#endif
import CLzma
import VerifyCore

/// Reads an xz file's decompressed stream from any offset, through a seek index's block starts:
/// decompressing starts at the block holding the checkpoint (`lzma_block_decoder` with the
/// block's own header, and the check of its stream from the file's index), and the output before
/// the offset is thrown away. Block ends are crossed: the next block is found in the file's own
/// index (`XzBlockIndex`), so stream boundaries and padding are skipped as the index says.
///
/// Every block read is read from its header: its check (CRC-32, CRC-64 or SHA-256) and its sizes
/// against the index are verified by liblzma as a sequential read verifies them. What the seek
/// index says is trusted only to save time: a checkpoint that is not a block of the file's index
/// is refused; a wrong stream gives a header that is not the one the index names, or damage.
final class XzSeekReader: DecodedSeeking {
    private let fd: Int32
    let index: SeekIndex
    private let progress: ReadProgress
    private var blocks: XzBlockIndex?
    private var stream = lzma_stream()
    private let block = UnsafeMutablePointer<lzma_block>.allocate(capacity: 1)
    private let filters = UnsafeMutablePointer<lzma_filter>.allocate(capacity: Int(LZMA_FILTERS_MAX) + 1)
    private var filtersHeld = false
    private let input: UnsafeMutableRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var filePosition: Int64 = 0
    var outBase: Int64 = 0
    var outCount = 0
    var handFrom = 0
    var active = false
    var ended = false
    private(set) var bytesRead: Int64 = 0
    var damage: String?

    init(fd: Int32, index: SeekIndex, progress: ReadProgress) {
        self.fd = fd
        self.index = index
        self.progress = progress
        input = .allocate(byteCount: GzipSeekReader.blockSize, alignment: 64)
        output = .allocate(byteCount: GzipSeekReader.blockSize, alignment: 64)
    }

    deinit {
        lzma_end(&stream)
        releaseFilters()
        block.deallocate()
        filters.deallocate()
        input.deallocate()
        output.deallocate()
    }

    let entryPointName = "xz block start"
    let decodeFailure = "xz data could not be decompressed"


    /// Starts at the file's block the checkpoint names (the first block for the file's start).
    func restart(at point: SeekIndex.Checkpoint) -> String? {
        if blocks == nil {
            switch XzBlockIndex.read(fd: fd, fileSize: index.identity.size) {
            case .success(let read): blocks = read
            case .failure(let why): return why.description
            }
        }
        guard let found = blocks!.block(holding: point.decodedOffset),
              found.decodedOffset == point.decodedOffset, point.compressedOffset == 0 || found.compressedOffset == point.compressedOffset
        else { return "the index's block start at \(point.compressedOffset) is not a block of the xz file" }
        outBase = found.decodedOffset
        outCount = 0
        handFrom = 0
        ended = false
        return startBlock(found)
    }

    /// A block decoder for `found`, from its header.
    private func startBlock(_ found: XzBlockIndex.Block) -> String? {
        active = false
        releaseFilters()
        guard let first = FileBytes.read(fd, at: found.compressedOffset, count: 1)?.first, first != 0,
              let header = FileBytes.read(fd, at: found.compressedOffset, count: (Int(first) + 1) * 4) else {
            return "no xz block header at byte \(found.compressedOffset)"
        }
        block.initialize(to: lzma_block())
        block.pointee.version = 1
        block.pointee.check = found.check
        block.pointee.header_size = UInt32(header.count)
        block.pointee.filters = filters
        guard header.withUnsafeBufferPointer({ lzma_block_header_decode(block, nil, $0.baseAddress) }) == LZMA_OK else {
            return "the xz block header at byte \(found.compressedOffset) is damaged or not supported"
        }
        filtersHeld = true
        guard lzma_block_compressed_size(block, found.unpaddedSize) == LZMA_OK, lzma_block_decoder(&stream, block) == LZMA_OK else {
            return "the xz block at byte \(found.compressedOffset) does not match the file's index"
        }
        filePosition = found.compressedOffset + Int64(header.count)
        inputStart = 0
        inputEnd = 0
        active = true
        return nil
    }

    private func releaseFilters() {
        guard filtersHeld else { return }
        for i in 0..<Int(LZMA_FILTERS_MAX) where filters[i].id != CLZMA_VLI_UNKNOWN {
            free(filters[i].options)
            filters[i].options = nil
        }
        filtersHeld = false
    }

    /// Decompresses the next piece into `output`: its length, 0 at the end, -1 on damage.
    func decodeBlock() -> Int {
        outBase += Int64(outCount)
        outCount = 0
        handFrom = 0
        while active, !ended {
            guard fillInput() else { return -1 }
            if inputStart == inputEnd {
                fail("the file ends inside an xz block")
                return -1
            }
            stream.next_in = UnsafePointer((input.baseAddress! + inputStart).assumingMemoryBound(to: UInt8.self))
            stream.avail_in = inputEnd - inputStart
            stream.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = output.count
            let status = lzma_code(&stream, LZMA_RUN)
            inputStart = inputEnd - stream.avail_in
            outCount = output.count - stream.avail_out
            if status == LZMA_STREAM_END {
                if let next = blocks?.next() {
                    if let why = startBlock(next) {
                        fail(why)
                        return outCount > 0 ? outCount : -1
                    }
                } else {
                    ended = true
                }
            } else if status != LZMA_OK {
                fail("xz data is damaged (liblzma status \(status.rawValue)) in the block before byte \(filePosition)")
                return -1
            }
            if outCount > 0 { return outCount }
        }
        return damage == nil ? 0 : -1
    }

    private func fillInput() -> Bool {
        guard inputStart == inputEnd else { return true }
        while true {
            let n = pread(fd, input.baseAddress, input.count, off_t(filePosition))
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                fail("read error at byte \(filePosition): \(String(cString: strerror(errno)))")
                return false
            }
            inputStart = 0
            inputEnd = n
            filePosition += Int64(n)
            bytesRead += Int64(n)
            progress.addRawBytes(n)
            return true
        }
    }

    private func fail(_ why: String) {
        damage = why
        active = false
    }
}
