import CZstd

/// Decompresses a zstd stream with libzstd straight into the read-ahead slots: the path through
/// libarchive's filter decompressed into its own buffer and then copied every byte once more,
/// which made the decompressing thread the slower of the two on a `.tar.zst`.
///
/// It does what libarchive's zstd filter does, with its words: frames one after another, the
/// frame checksum checked when present (libzstd's default), "Truncated zstd input" when the file
/// ends inside a frame, and "Zstd decompression failed: …" with libzstd's reason. A run with one
/// thread (libarchive's filter) and one with two (this) report the same damage.
///
/// libarchive decompresses into blocks of `ZSTD_DStreamOutSize()` bytes, one
/// `ZSTD_decompressStream` call at most per block, and loses the block it was filling when the
/// stream fails; this decompresses in the same steps and drops the same bytes, so that the entry
/// a failure cuts reads the same number of bytes either way (libzstd finds a bad checksum only
/// once the output before it has room, so the steps matter).
///
/// Used from the producing thread only; it reads the file through `FileSource.rawBlock`.
final class ZstdDecoder: BlockDecoder {
    /// The zstd frame magic (skippable frames first are left to libarchive).
    static func recognises(_ magic: [UInt8]) -> Bool {
        magic.starts(with: [0x28, 0xB5, 0x2F, 0xFD])
    }

    /// A zstd frame or a skippable frame (pzstd starts with one): what a read that records frame
    /// starts decompresses with this decoder.
    static func recognisesFrames(_ magic: [UInt8]) -> Bool {
        recognises(magic) || magic.count >= 4 && magic[0] & 0xF0 == 0x50 && magic[1...3].elementsEqual([0x2A, 0x4D, 0x18])
    }

    let filterNames = ["zstd"]
    private var stream: OpaquePointer?
    private var input: UnsafeRawPointer?
    private var inputCount = 0
    private var inputUsed = 0
    private var inFrame = false
    /// Bytes in libarchive's block being filled (it hands a block over when full, or at the end).
    private var blockFill = 0
    private let libarchiveBlockSize = ZSTD_DStreamOutSize()
    private var ended = false
    /// Records frame starts for a seek index (`FileSource.recordZstdFrames`), when set.
    var frames: ZstdFrameRecorder?
    /// File offset of `input`'s first byte, and bytes decompressed before this call's output.
    private var inputBase: Int64 = 0
    private var decodedBefore: Int64 = 0
    /// Set once the stream failed: told on every later call.
    private var failure: (reason: BlockDecoderFailure?, set: Bool) = (nil, false)

    deinit {
        if let stream { ZSTD_freeDStream(stream) }
    }

    func fill(_ output: UnsafeMutableRawBufferPointer, from source: FileSource) -> (Int, BlockDecoderFailure?) {
        if failure.set { return (-1, failure.reason) }
        if stream == nil {
            guard let created = ZSTD_createDStream() else {
                return fail(.outOfMemory("Can't allocate data for zstd decompression"), written: 0)
            }
            stream = created
        }
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        while out.pos < out.size && !ended {
            if !inFrame {
                let status = ZSTD_initDStream(stream)
                if ZSTD_isError(status) != 0 {
                    return fail(.damage("Error initializing zstd decompressor: \(errorName(status))"), written: out.pos)
                }
            }
            if inputUsed == inputCount {
                var block: UnsafeRawPointer?
                let n = source.rawBlock(&block)
                if n < 0 { return fail(nil, written: out.pos) }  // the source recorded the I/O error
                if n == 0 {
                    if !inFrame {
                        ended = true
                        break
                    }
                    return fail(.damage("Truncated zstd input"), written: out.pos)
                }
                inputBase += Int64(inputCount)
                input = block
                inputCount = n
                inputUsed = 0
            }
            var inBuffer = ZSTD_inBuffer(src: input, size: inputCount, pos: inputUsed)
            let before = out.pos
            out.size = min(output.count, out.pos + libarchiveBlockSize - blockFill)
            let status = ZSTD_decompressStream(stream, &out, &inBuffer)
            out.size = output.count
            blockFill = (blockFill + out.pos - before) % libarchiveBlockSize
            if ZSTD_isError(status) != 0 {
                let why = "Zstd decompression failed: \(errorName(status))"
                let outOfMemory = ZSTD_getErrorCode(status) == ZSTD_error_memory_allocation
                return fail(outOfMemory ? .outOfMemory(why) : .damage(why), written: out.pos)
            }
            inputUsed = inBuffer.pos
            inFrame = status != 0
            if status == 0, let frames { frames.frameEnded(compressed: inputBase + Int64(inputUsed), decoded: decodedBefore + Int64(out.pos)) }
        }
        decodedBefore += Int64(out.pos)
        return (out.pos, nil)
    }

    /// Records the failure. What was written before the block being filled is handed out first,
    /// the failure on the next call.
    private func fail(_ reason: BlockDecoderFailure?, written: Int) -> (Int, BlockDecoderFailure?) {
        failure = (reason, true)
        let kept = max(written - blockFill, 0)
        return kept > 0 ? (kept, nil) : (-1, reason)
    }

    private func errorName(_ code: Int) -> String {
        ZSTD_getErrorName(code).map { String(cString: $0) } ?? "error \(code)"
    }
}
