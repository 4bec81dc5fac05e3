/// Seek indexes of formats made of independent pieces: a zstd file of several frames (pzstd, or
/// frames joined), an xz file of several blocks (`xz -T0`, pixz; the first checkpoint, the file's
/// start, stands for the first block). Decompressing can start afresh at any frame start: a ``SeekIndex/Checkpoint``
/// there is a "member start" with no bits and no window, at the frame's offset in the file and
/// in the decompressed stream. A file of one frame has no entry point but its start: no index
/// is made for it (the report says so).
extension SeekIndex.Kind {
    /// Entry offsets are in a decompressed stream; checkpoints say where decompressing may start.
    public var isCompressed: Bool { self != .plainTar }

    /// Every checkpoint is the start of an independent frame (no window, no bits).
    public var startsWholeFrames: Bool { self == .zstdTar || self == .xzTar }

    /// The filter a sequential read reports for such a file (libarchive's name).
    public var filterName: String {
        switch self {
        case .plainTar: "none"
        case .gzipTar: "gzip"
        case .zstdTar: "zstd"
        case .xzTar: "xz"
        }
    }
}

extension SeekIndex {
    /// Frame starts closer than this in the file are not all kept: with ~8 bytes a checkpoint,
    /// the frames' part of an index stays far under 1% of the archive.
    public static let minimumFrameSpacing: Int64 = 64 << 10

    /// The largest decompressed size a file of `size` bytes of `kind` can have: deflate's best
    /// ratio is about 1032:1; zstd's is a 3-byte RLE block header for 128 KiB (about 43,700:1).
    static func decodedLimit(_ size: Int64, kind: Kind) -> Int64 {
        guard kind.startsWholeFrames else { return decodedLimit(size) }
        let (product, overflow) = size.multipliedReportingOverflow(by: 44_000)
        return overflow ? Int64.max : product + (1 << 20)
    }

    /// A frame index's checkpoints must all be frame starts: no bits, no window.
    static func checkFrameStarts(_ points: [Checkpoint]) throws(SeekIndexError) {
        for (n, point) in points.enumerated() where !point.memberStart || point.bits != 0 || !point.window.isEmpty {
            throw SeekIndexError("checkpoint \(n) of a frame index is not a frame start")
        }
    }
}
