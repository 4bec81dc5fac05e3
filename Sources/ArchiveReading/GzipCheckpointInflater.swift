import CZlib
import Synchronization
import VerifyCore

/// zlib inflating a gzip file (every member, each trailer checked), stopping at every deflate
/// block boundary (`Z_BLOCK`, as zlib's `examples/zran.c`) to record a ``SeekIndex/Checkpoint``
/// now and then: the bit position and the 32 KiB window there, compressed.
///
/// Spacing: a checkpoint's window pays for the next 200 times its size of the file, so that the
/// windows stay under 0.5% of the archive whatever the data (at least `minimumSpacing` apart),
/// leaving the other half of the index's 1% to the entries (front-coded names and offsets: 0.3%
/// of a tar.gz of 55,423 real files; with 100 times, windows and entries together took 1.3%).
/// Used instead of ISA-L only on a read that records a seek index (ISA-L tells no bit position).
final class GzipCheckpointInflater: GzipDecoder {
    static let minimumSpacing: Int64 = 256 << 10
    static let windowSize = 32 << 10

    private var stream = z_stream()
    private var initialised = false
    private(set) var atMemberEnd = false
    private(set) var membersFinished = 0
    /// File offset of the first byte of the next input (set by the caller before each call).
    var inputOffset: Int64 = 0
    /// Bytes of output so far, every member.
    private var decoded: Int64 = 0
    private var memberStartPending = true
    private var last: (compressed: Int64, windowBytes: Int) = (0, 0)
    private let window = UnsafeMutablePointer<Bytef>.allocate(capacity: GzipCheckpointInflater.windowSize)
    /// Read by the parser's thread once the inflating thread is done.
    private let recorded = Mutex<(points: [SeekIndex.Checkpoint], decoded: Int64)>(([], 0))

    /// A fixed spacing in bytes of the file, instead of the one from the windows' sizes.
    private let fixedSpacing: Int64?

    init(spacing: Int64? = nil) throws(ArchiveReadError) {
        fixedSpacing = spacing.map { max($0, 1) }
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ArchiveReadError(code: .resource, message: "zlib could not start (status \(status))") }
        initialised = true
    }

    deinit {
        if initialised { inflateEnd(&stream) }
        window.deallocate()
    }

    /// The checkpoints recorded and the decompressed length so far.
    var checkpoints: (points: [SeekIndex.Checkpoint], decodedSize: Int64) {
        recorded.withLock { ($0.points, $0.decoded) }
    }

    func inflate(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) -> GzipStep {
        if atMemberEnd {
            guard inflateReset(&stream) == Z_OK else { return .damaged("zlib could not start the next gzip member", produced: 0) }
            atMemberEnd = false
            memberStartPending = true
        }
        if memberStartPending {
            memberStartPending = false
            if membersFinished == 0 || inputOffset - last.compressed >= spacing {
                record(SeekIndex.Checkpoint(decodedOffset: decoded, compressedOffset: inputOffset, bits: 0, memberStart: true, window: []))
            }
        }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        defer {
            decoded += Int64(output.count - Int(stream.avail_out))
            recorded.withLock { $0.decoded = decoded }
        }
        while true {
            let status = CZlib.inflate(&stream, Z_BLOCK)
            let consumed = input.count - Int(stream.avail_in)
            let produced = output.count - Int(stream.avail_out)
            switch status {
            case Z_OK:
                if stream.data_type & 128 != 0, stream.data_type & 64 == 0 {
                    considerCheckpoint(at: inputOffset + Int64(consumed), decodedAt: decoded + Int64(produced))
                }
                if stream.avail_in == 0 || stream.avail_out == 0 { return .progress(consumed: consumed, produced: produced) }
            case Z_BUF_ERROR:
                return .progress(consumed: consumed, produced: produced)
            case Z_STREAM_END:
                atMemberEnd = true
                membersFinished += 1
                return .progress(consumed: consumed, produced: produced)
            default:
                return .damaged(GzipInflater.describe(status, &stream, member: membersFinished + 1), produced: status == Z_DATA_ERROR ? produced : 0)
            }
        }
    }

    /// Bytes of the file to leave between two checkpoints.
    private var spacing: Int64 { fixedSpacing ?? max(Self.minimumSpacing, Int64(last.windowBytes + 16) * 200) }

    private func considerCheckpoint(at compressed: Int64, decodedAt: Int64) {
        guard compressed - last.compressed >= spacing else { return }
        var length = uInt(Self.windowSize)
        guard inflateGetDictionary(&stream, window, &length) == Z_OK else { return }
        let bound = Int(compressBound(uLong(length)))
        var packed = [UInt8](repeating: 0, count: bound)
        var packedLength = uLongf(bound)
        let status = packed.withUnsafeMutableBufferPointer { compress2($0.baseAddress, &packedLength, window, uLong(length), 1) }
        guard status == Z_OK, Int(packedLength) <= SeekIndex.windowLimit else { return }
        packed.removeSubrange(Int(packedLength)...)
        record(SeekIndex.Checkpoint(
            decodedOffset: decodedAt, compressedOffset: compressed, bits: UInt8(stream.data_type & 7), memberStart: false, window: packed))
    }

    /// Keeps `point` when both its offsets are past the last one's (the first is always kept).
    private func record(_ point: SeekIndex.Checkpoint) {
        let grows = recorded.withLock { $0.points.last.map { point.compressedOffset > $0.compressedOffset && point.decodedOffset > $0.decodedOffset } ?? true }
        guard grows else { return }
        last = (point.compressedOffset, point.window.count)
        recorded.withLock { $0.points.append(point) }
    }
}
