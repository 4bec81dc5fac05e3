/// Decompresses a whole stream on the read-ahead thread into the slots the parser then reads:
/// `ZstdDecoder` (libzstd) for zstd, `StreamDecoder` (libarchive's filters) for the others.
protocol BlockDecoder: AnyObject {
    /// Fills `output` with decompressed bytes: the count, 0 at the end, or -1 with why (nil when
    /// the source recorded an I/O error of its own). After a failure, every call fails again.
    func fill(_ output: UnsafeMutableRawBufferPointer, from source: FileSource) -> (Int, BlockDecoderFailure?)
    /// libarchive's names of the filters, outermost first, once the stream is open.
    var filterNames: [String] { get }
}

/// Why a stream could not be decompressed.
enum BlockDecoderFailure {
    case damage(String)
    /// An allocation failed: not damage (the worker's memory limit may be too small).
    case outOfMemory(String)
}
