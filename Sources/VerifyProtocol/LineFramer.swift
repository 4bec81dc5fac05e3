/// Splits a byte stream into lines of at most `limit` bytes. A longer line is reported once as
/// `.tooLong` and the rest of it is skipped up to its newline, so the stream stays in step.
public struct LineFramer: Sendable {
    public enum Frame: Sendable, Equatable {
        case line([UInt8])
        case tooLong
    }

    public let limit: Int
    private var buffer: [UInt8] = []
    private var skipping = false

    public init(limit: Int = WireProtocol.maxLineBytes) {
        self.limit = limit
    }

    /// Bytes of an unfinished line held back.
    public var pendingCount: Int { buffer.count }

    /// Feeds bytes; returns the frames they complete.
    public mutating func append(_ bytes: some Collection<UInt8>) -> [Frame] {
        var frames: [Frame] = []
        for byte in bytes {
            if byte == 0x0A {
                if skipping {
                    skipping = false
                } else {
                    var line = buffer
                    if line.last == 0x0D { line.removeLast() }
                    frames.append(.line(line))
                }
                buffer.removeAll(keepingCapacity: true)
                continue
            }
            if skipping { continue }
            if buffer.count >= limit {
                frames.append(.tooLong)
                buffer.removeAll()
                skipping = true
                continue
            }
            buffer.append(byte)
        }
        return frames
    }
}
