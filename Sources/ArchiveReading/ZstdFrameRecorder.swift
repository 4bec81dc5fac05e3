import Synchronization
import VerifyCore

/// The frame starts of a zstd file, seen by `ZstdDecoder` on a sequential read that records a
/// seek index: where each frame starts in the file and in the decompressed stream. A frame is
/// independent of the ones before it, so decompressing can start afresh there
/// (`ZstdSeekReader`). Frames closer than `spacing` to the last kept one are not kept.
///
/// Written by the decompressing thread, read by the parser's once it is done.
final class ZstdFrameRecorder: Sendable {
    private let spacing: Int64
    private let state = Mutex<(points: [SeekIndex.Checkpoint], decoded: Int64, frameEnds: Int)>(
        ([SeekIndex.Checkpoint(decodedOffset: 0, compressedOffset: 0, bits: 0, memberStart: true, window: [])], 0, 0))

    init(spacing: Int64?) {
        self.spacing = max(spacing ?? SeekIndex.minimumFrameSpacing, 1)
    }

    /// A frame (or a skippable frame) ended: the next one starts at `compressed` in the file,
    /// `decoded` in the stream. Kept when both are past the last kept start, far enough.
    func frameEnded(compressed: Int64, decoded: Int64) {
        state.withLock { state in
            state.frameEnds += 1
            state.decoded = max(state.decoded, decoded)
            let last = state.points[state.points.count - 1]
            guard decoded > last.decodedOffset, compressed - last.compressedOffset >= spacing else { return }
            state.points.append(SeekIndex.Checkpoint(decodedOffset: decoded, compressedOffset: compressed, bits: 0, memberStart: true, window: []))
        }
    }

    /// The frame starts kept inside a file of `fileSize` bytes (not its end), and the length of
    /// the decompressed stream.
    func checkpoints(fileSize: Int64) -> (points: [SeekIndex.Checkpoint], decodedSize: Int64) {
        state.withLock { state in
            (state.points.filter { $0.compressedOffset < fileSize && ($0.compressedOffset == 0 || $0.decodedOffset < state.decoded) }, state.decoded)
        }
    }
}
