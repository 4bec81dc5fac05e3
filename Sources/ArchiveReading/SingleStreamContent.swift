import VerifyCore

/// The start and the end of a single stream's content, kept as its blocks go by (at most
/// `DumpCompletion.headLimit` and `tailLimit` bytes): what tells a dump that ended from one cut
/// short.
public struct SingleStreamContent: Sendable, Equatable {
    public private(set) var head: [UInt8] = []
    public private(set) var tail: [UInt8] = []
    /// Bytes of content read.
    public private(set) var byteCount: Int64 = 0

    public init() {}

    mutating func add(_ chunk: UnsafeRawBufferPointer) {
        byteCount += Int64(chunk.count)
        if head.count < DumpCompletion.headLimit {
            head.append(contentsOf: chunk.prefix(DumpCompletion.headLimit - head.count))
        }
        let limit = DumpCompletion.tailLimit
        if chunk.count >= limit {
            tail = Array(chunk.suffix(limit))
        } else {
            let overflow = tail.count + chunk.count - limit
            if overflow > 0 { tail.removeFirst(overflow) }
            tail.append(contentsOf: chunk)
        }
    }
}
