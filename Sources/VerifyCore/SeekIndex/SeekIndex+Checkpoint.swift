/// Where inflating a gzip file may start again in its middle (zlib's `examples/zran.c` idea):
/// a deflate block boundary, with the bits of its first byte already used and the 32 KiB of
/// output before it (the window its back-references may reach), or the start of a gzip member
/// (no window needed).
extension SeekIndex {
    public struct Checkpoint: Sendable, Equatable {
        /// Offset in the decompressed stream (all members one after the other).
        public var decodedOffset: Int64
        /// Offset in the file of the first whole byte of the block (or of the member's header).
        public var compressedOffset: Int64
        /// Bits of the byte before `compressedOffset` that belong to the block (0...7).
        public var bits: UInt8
        /// The checkpoint is a gzip member's header: start a gzip inflater there, no window.
        public var memberStart: Bool
        /// The 32 KiB (or fewer) of output before the checkpoint, zlib-compressed; opaque here.
        public var window: [UInt8]

        public init(decodedOffset: Int64, compressedOffset: Int64, bits: UInt8, memberStart: Bool, window: [UInt8]) {
            self.decodedOffset = decodedOffset
            self.compressedOffset = compressedOffset
            self.bits = bits
            self.memberStart = memberStart
            self.window = window
        }
    }

    /// The longest compressed window an index may hold: 32 KiB that did not compress, plus zlib's
    /// overhead for stored blocks.
    public static let windowLimit = 33_000

    /// The last checkpoint at or before `offset` of the decompressed stream.
    public func checkpoint(before offset: Int64) -> Checkpoint? {
        let after = firstCheckpoint(after: offset)
        return after > 0 ? checkpoints[after - 1] : nil
    }

    /// The index of the first checkpoint past `offset` (`checkpoints.count` when none is).
    func firstCheckpoint(after offset: Int64) -> Int {
        var low = 0
        var high = checkpoints.count
        while low < high {
            let mid = (low + high) / 2
            if checkpoints[mid].decodedOffset <= offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Bytes of the gzip file a read through the index inflates for the `needed` entries: from
    /// the checkpoint before each run of needed entries to the first checkpoint past its data,
    /// overlaps counted once (inflating goes on from one run to the next).
    public func compressedSpan(of needed: [Bool]) -> Int64 {
        var total: Int64 = 0
        var covered: Int64 = 0
        for run in Self.runs(needed) {
            let first = entries[run.lowerBound]
            let last = entries[run.upperBound - 1]
            let end = last.dataOffset + ((last.size ?? 0) + 511) / 512 * 512
            let start = max(checkpoint(before: first.headerOffset)?.compressedOffset ?? 0, covered)
            let next = firstCheckpoint(after: end)
            let stop = next < checkpoints.count ? checkpoints[next].compressedOffset : identity.size
            if stop > start { total += stop - start }
            covered = max(covered, stop)
        }
        return total
    }

    /// Encodes the gzip part (after the entries).
    func encodeCheckpoints(_ out: inout SeekIndexWriter) {
        out.varint(UInt64(checkpoints.count))
        var previous = (decoded: Int64(0), compressed: Int64(0))
        for point in checkpoints {
            out.varint(UInt64(point.decodedOffset - previous.decoded))
            out.varint(UInt64(point.compressedOffset - previous.compressed))
            out.byte(point.bits | (point.memberStart ? 0x80 : 0))
            out.name(point.window)
            previous = (point.decodedOffset, point.compressedOffset)
        }
    }

    /// Decodes the gzip part: offsets grow, stay inside the file and the stream; the first
    /// checkpoint is the first member's start; windows are bounded.
    static func readCheckpoints(_ input: inout SeekIndexReader, fileSize: Int64, decodedSize: Int64) throws(SeekIndexError) -> [Checkpoint] {
        let count = try input.varint()
        guard count >= 1, count <= UInt64(input.remaining / 4) else { throw SeekIndexError("the index claims \(count) gzip checkpoints in \(input.remaining) bytes") }
        var points: [Checkpoint] = []
        points.reserveCapacity(Int(count))
        var previous = (decoded: Int64(0), compressed: Int64(0))
        for n in 0..<Int(count) {
            let decoded = previous.decoded.addingReportingOverflow(try input.offset(n))
            let compressed = previous.compressed.addingReportingOverflow(try input.offset(n))
            guard !decoded.overflow, !compressed.overflow, decoded.partialValue <= decodedSize, compressed.partialValue < fileSize else {
                throw SeekIndexError("gzip checkpoint \(n): its offsets are out of range")
            }
            guard n == 0 || decoded.partialValue > previous.decoded && compressed.partialValue > previous.compressed else {
                throw SeekIndexError("gzip checkpoint \(n): its offsets do not grow")
            }
            let flags = try input.byte()
            let point = Checkpoint(
                decodedOffset: decoded.partialValue, compressedOffset: compressed.partialValue, bits: flags & 0x7f,
                memberStart: flags & 0x80 != 0, window: try input.name(limit: windowLimit))
            guard point.bits <= 7, !point.memberStart || point.bits == 0 && point.window.isEmpty,
                  point.bits == 0 || point.compressedOffset > 0 else {
                throw SeekIndexError("gzip checkpoint \(n): bad bit count or window")
            }
            guard n > 0 || point.memberStart && point.decodedOffset == 0 && point.compressedOffset == 0 else {
                throw SeekIndexError("the first gzip checkpoint is not the start of the file")
            }
            points.append(point)
            previous = (decoded.partialValue, compressed.partialValue)
        }
        return points
    }

    /// The largest decompressed size a gzip file of `size` bytes can have (deflate's best ratio
    /// is about 1032:1).
    static func decodedLimit(_ size: Int64) -> Int64 {
        size.multipliedReportingOverflow(by: 1100).overflow ? Int64.max : size * 1100 + (1 << 20)
    }
}
