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
        if let frames = bytes.withContiguousStorageIfAvailable({ append(span: $0) }) { return frames }
        return Array(bytes).withUnsafeBufferPointer { append(span: $0) }
    }

    /// Whole runs between newlines at a time (a worker's checkpoint line can be megabytes).
    private mutating func append(span: UnsafeBufferPointer<UInt8>) -> [Frame] {
        var frames: [Frame] = []
        var start = 0
        while start < span.count {
            let newline = span[start...].firstIndex(of: 0x0A)
            let end = newline ?? span.count
            if !skipping {
                let room = limit - buffer.count
                if end - start > room {
                    frames.append(.tooLong)
                    buffer.removeAll()
                    skipping = true
                } else {
                    buffer.append(contentsOf: span[start..<end])
                }
            }
            guard let newline else { break }
            if skipping {
                skipping = false
            } else {
                var line = buffer
                if line.last == 0x0D { line.removeLast() }
                frames.append(.line(line))
            }
            buffer.removeAll(keepingCapacity: true)
            start = newline + 1
        }
        return frames
    }
}
