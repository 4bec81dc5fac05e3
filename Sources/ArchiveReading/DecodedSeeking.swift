import VerifyCore

/// Reads a compressed file's decompressed stream from an offset, through a seek index's entry
/// points (`GzipSeekReader`, `ZstdSeekReader`, `XzSeekReader`): what `FileSource` hands the tar
/// parser on a read through an index. Each reader decodes (`restart`, `decodeBlock`); going to
/// an offset and handing out blocks is the same for all of them (the extension below).
protocol DecodedSeeking: AnyObject {
    var index: SeekIndex { get }
    /// What the index's entry points are, in messages ("gzip checkpoint").
    var entryPointName: String { get }
    /// The message for damage that `decodeBlock` did not describe.
    var decodeFailure: String { get }
    /// `output[0..<outCount]` holds the decompressed stream from `outBase`; from `handFrom` on it
    /// has not been handed out.
    var output: UnsafeMutableRawBufferPointer { get }
    var outBase: Int64 { get set }
    var outCount: Int { get set }
    var handFrom: Int { get set }
    /// A decoder is started and its stream has not ended.
    var active: Bool { get }
    var ended: Bool { get }
    /// Bytes of the file read so far.
    var bytesRead: Int64 { get }
    /// Why the last `position` or `next` failed.
    var damage: String? { get set }
    /// Starts decoding afresh at `point` (its decompressed offset becomes `outBase`). Nil when
    /// done; else why it cannot be.
    func restart(at point: SeekIndex.Checkpoint) -> String?
    /// Decodes the next block into `output`: its length, 0 at the end, -1 on damage.
    func decodeBlock() -> Int
}

extension DecodedSeeking {
    /// Makes `next` return the stream from `target` on: from what is decoded already, by decoding
    /// on when `target` is ahead in the same run, else from the last entry point before it.
    /// Nil when done; else why it cannot be.
    func position(at target: Int64) -> String? {
        damage = nil
        if outCount > 0, target >= outBase, target < outBase + Int64(outCount) {
            handFrom = Int(target - outBase)
            return nil
        }
        guard let point = index.checkpoint(before: target) else { return "no \(entryPointName) before offset \(target)" }
        let here = outBase + Int64(outCount)
        if !(active && !ended && here >= point.decodedOffset && here <= target) {
            if let why = restart(at: point) { return why }
        }
        while outBase + Int64(outCount) <= target {
            if outBase + Int64(outCount) == target {
                outBase = target
                outCount = 0
                handFrom = 0
                return nil
            }
            let n = decodeBlock()
            if n < 0 { return damage ?? decodeFailure }
            if n == 0 { return "the decompressed stream ends at \(outBase), before offset \(target)" }
        }
        handFrom = Int(target - outBase)
        return nil
    }

    /// The next decompressed block (in the reader's buffer, untouched until the next call): its
    /// length, 0 at the end, -1 on damage (`damage` says what).
    func next(_ block: inout UnsafeRawPointer?) -> Int {
        if handFrom >= outCount {
            let n = decodeBlock()
            guard n > 0 else { return n }
        }
        block = UnsafeRawPointer(output.baseAddress! + handFrom)
        let n = outCount - handFrom
        handFrom = outCount
        return n
    }
}

extension GzipSeekReader: DecodedSeeking {}
