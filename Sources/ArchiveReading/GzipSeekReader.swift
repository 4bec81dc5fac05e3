#if canImport(Glibc)
import Glibc
#endif
import CZlib
import VerifyCore

/// Reads a gzip file's decompressed stream from any offset, through a seek index's checkpoints:
/// inflating starts at the last checkpoint before the offset (a raw inflater primed with the
/// bits and the window there, as zlib's `examples/zran.c` resumes), and the output before the
/// offset is thrown away. Member ends are crossed (the next member is inflated as gzip).
///
/// A trailer (CRC-32, ISIZE) of a member entered in its middle cannot be checked: its start was
/// not seen. What the index says is trusted only to save time: wrong checkpoints give wrong
/// bytes, which the caller finds as a header that is not the one the index names, or damage.
final class GzipSeekReader {
    private let fd: Int32
    private let fileSize: Int64
    let index: SeekIndex
    private let progress: ReadProgress
    private var stream = z_stream()
    private var initialised = false
    private let input: UnsafeMutableRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    /// File offset of the next byte to read into `input`.
    private var filePosition: Int64 = 0
    /// `output[0..<outCount]` holds the decompressed stream from `outBase`; from `handFrom` on it
    /// has not been handed out.
    var outBase: Int64 = 0
    var outCount = 0
    var handFrom = 0
    /// Inflating from a checkpoint, not ended.
    var active = false
    var ended = false
    /// In a member entered in its middle (raw inflate): its trailer is skipped, not checked.
    private var raw = false
    private(set) var bytesRead: Int64 = 0
    var damage: String?

    static let blockSize = 128 << 10

    init(fd: Int32, fileSize: Int64, index: SeekIndex, progress: ReadProgress) {
        self.fd = fd
        self.fileSize = fileSize
        self.index = index
        self.progress = progress
        input = .allocate(byteCount: Self.blockSize, alignment: 64)
        output = .allocate(byteCount: Self.blockSize, alignment: 64)
    }

    deinit {
        if initialised { inflateEnd(&stream) }
        input.deallocate()
        output.deallocate()
    }

    let entryPointName = "gzip checkpoint"
    let decodeFailure = "gzip data could not be inflated"


    func restart(at point: SeekIndex.Checkpoint) -> String? {
        let bits: Int32 = point.memberStart ? 15 + 16 : -15
        let status = initialised ? inflateReset2(&stream, bits) : inflateInit2_(&stream, bits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { return "zlib could not start (status \(status))" }
        initialised = true
        active = true
        ended = false
        raw = !point.memberStart
        filePosition = point.compressedOffset
        inputStart = 0
        inputEnd = 0
        outBase = point.decodedOffset
        outCount = 0
        handFrom = 0
        if point.bits > 0 {
            guard let byte = FileBytes.read(fd, at: point.compressedOffset - 1, count: 1)?.first else {
                return "the byte before gzip checkpoint \(point.compressedOffset) could not be read"
            }
            guard inflatePrime(&stream, Int32(point.bits), Int32(byte) >> (8 - Int32(point.bits))) == Z_OK else {
                return "zlib refused the bits of the checkpoint at \(point.compressedOffset)"
            }
        }
        if !point.memberStart { return setWindow(point) }
        return nil
    }

    private func setWindow(_ point: SeekIndex.Checkpoint) -> String? {
        guard !point.window.isEmpty else { return nil }
        var window = [UInt8](repeating: 0, count: GzipCheckpointInflater.windowSize)
        var length = uLongf(window.count)
        let status = window.withUnsafeMutableBufferPointer { out in
            point.window.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
        }
        guard status == Z_OK else { return "the window of the gzip checkpoint at \(point.compressedOffset) is damaged" }
        guard inflateSetDictionary(&stream, window, uInt(length)) == Z_OK else {
            return "zlib refused the window of the checkpoint at \(point.compressedOffset)"
        }
        return nil
    }

    /// Inflates the next block into `output`: its length, 0 at the end, -1 on damage.
    func decodeBlock() -> Int {
        outBase += Int64(outCount)
        outCount = 0
        handFrom = 0
        guard active else { return 0 }
        while !ended {
            guard fillInput() else { return -1 }
            if inputStart == inputEnd {
                fail("the file ends inside a gzip member")
                return -1
            }
            stream.next_in = (input.baseAddress! + inputStart).assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(inputEnd - inputStart)
            stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(output.count)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            let consumed = inputEnd - inputStart - Int(stream.avail_in)
            inputStart += consumed
            outCount = output.count - Int(stream.avail_out)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                if outCount == 0 && consumed == 0 {
                    fail("gzip data at byte \(filePosition - Int64(inputEnd - inputStart)): the inflater made no progress")
                    return -1
                }
            case Z_STREAM_END:
                guard memberEnded() else { return -1 }
            default:
                fail(GzipInflater.describe(status, &stream, member: 0))
                return -1
            }
            if outCount > 0 { return outCount }
        }
        return 0
    }

    /// After a member's deflate data: its trailer (skipped after a raw inflate, already checked
    /// by zlib otherwise), then another member, zero padding or the end of the file.
    private func memberEnded() -> Bool {
        if raw {
            for _ in 0..<8 {
                guard fillInput() else { return false }
                guard inputStart < inputEnd else {
                    fail("the file ends inside a gzip trailer")
                    return false
                }
                inputStart += 1
            }
        }
        guard fillInput() else { return false }
        if inputStart == inputEnd || input[inputStart] == 0 {
            ended = true
            return true
        }
        guard input[inputStart] == 0x1f, inflateReset2(&stream, 15 + 16) == Z_OK else {
            fail("garbage after a gzip member (at byte \(filePosition - Int64(inputEnd - inputStart)))")
            return false
        }
        raw = false
        return true
    }

    /// Reads more of the file when the input is used up; false on an I/O error.
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
