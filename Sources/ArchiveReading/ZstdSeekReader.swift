#if canImport(Glibc)
import Glibc
#endif
import CZstd
import VerifyCore

/// Reads a zstd file's decompressed stream from any offset, through a seek index's frame starts:
/// decompressing starts afresh at the last frame start before the offset (a frame needs nothing
/// before it), and the output before the offset is thrown away. Frame ends are crossed.
///
/// Every frame read is read from its start: its checksum, when it has one, is checked as a
/// sequential read checks it. What the index says is trusted only to save time: a wrong frame
/// start gives no zstd frame there (an error) or a wrong stream, which the caller finds as a
/// header that is not the one the index names, or damage.
final class ZstdSeekReader: DecodedSeeking {
    private let fd: Int32
    let index: SeekIndex
    private let progress: ReadProgress
    private var context: OpaquePointer?
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
    var active = false
    var ended = false
    private var inFrame = false
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
        if let context { ZSTD_freeDCtx(context) }
        input.deallocate()
        output.deallocate()
    }

    let entryPointName = "zstd frame start"
    let decodeFailure = "zstd data could not be decompressed"


    func restart(at point: SeekIndex.Checkpoint) -> String? {
        guard point.memberStart, point.window.isEmpty, point.bits == 0 else { return "the checkpoint at \(point.compressedOffset) is not a frame start" }
        if context == nil { context = ZSTD_createDCtx() }
        guard let context, ZSTD_isError(ZSTD_DCtx_reset(context, ZSTD_reset_session_only)) == 0 else {
            return "zstd could not start (out of memory)"
        }
        active = true
        ended = false
        inFrame = false
        filePosition = point.compressedOffset
        inputStart = 0
        inputEnd = 0
        outBase = point.decodedOffset
        outCount = 0
        handFrom = 0
        return nil
    }

    /// Decompresses the next block into `output`: its length, 0 at the end, -1 on damage.
    func decodeBlock() -> Int {
        outBase += Int64(outCount)
        outCount = 0
        handFrom = 0
        guard active, let context else { return 0 }
        while !ended {
            guard fillInput() else { return -1 }
            if inputStart == inputEnd {
                if inFrame {
                    fail("Truncated zstd input")
                    return -1
                }
                ended = true
                return 0
            }
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress! + inputStart, size: inputEnd - inputStart, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let status = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(status) != 0 {
                fail("Zstd decompression failed: \(ZSTD_getErrorName(status).map { String(cString: $0) } ?? "error \(status)")")
                return -1
            }
            inputStart += inBuffer.pos
            outCount = outBuffer.pos
            inFrame = status != 0
            if outCount > 0 { return outCount }
            if inBuffer.pos == 0 {
                fail("zstd data at byte \(filePosition - Int64(inputEnd - inputStart)): the decompressor made no progress")
                return -1
            }
        }
        return 0
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
