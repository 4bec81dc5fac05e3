/// Reads a compressed file's decompressed stream from an offset, through a seek index's
/// checkpoints (`GzipSeekReader`, `ZstdSeekReader`): what `FileSource` hands the tar parser on a
/// read through an index.
protocol DecodedSeeking: AnyObject {
    /// Makes `next` return the stream from `target` on. Nil when done; else why it cannot be.
    func position(at target: Int64) -> String?
    /// The next decompressed block: its length, 0 at the end, -1 on damage (`damage` says what).
    func next(_ block: inout UnsafeRawPointer?) -> Int
    /// Bytes of the file read so far.
    var bytesRead: Int64 { get }
    /// Why the last `position` or `next` failed.
    var damage: String? { get }
}

extension GzipSeekReader: DecodedSeeking {}
