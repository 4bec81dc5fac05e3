#if canImport(Glibc)
import Glibc
#endif

/// Where an encrypted file's bytes come from: a file descriptor, a `ByteStream`, or the armor
/// decoder over one of them. `read` returns the count, 0 at the end, -1 on failure (why in
/// `failure`).
protocol RawByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
    var failure: String? { get }
    /// Damage the source itself found (the armor decoder), rather than an I/O error.
    var damage: DecryptionError? { get }
}

extension RawByteSource {
    var damage: DecryptionError? { nil }
}

/// A regular file read in order through its descriptor (owned: closed at the end).
final class DescriptorSource: RawByteSource {
    private let fd: Int32
    private(set) var failure: String?

    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n < 0 { failure = String(cString: strerror(errno)) }
            return n
        }
    }
}

extension ByteStream: RawByteSource {}

/// Buffered, in-order reading of an encrypted file: lines for the header, exact counts for the
/// payload, and the offset of the next byte for messages.
final class EnvelopeInput {
    private let source: any RawByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    private var sourceEnded = false
    /// Offset of the next byte handed out.
    private(set) var offset: Int64 = 0

    init(_ source: any RawByteSource) { self.source = source }

    private var available: Int { buffer.count - start }

    /// Reads more from the source into the buffer: false at its end.
    private func refill() throws(DecryptionError) -> Bool {
        guard !sourceEnded else { return false }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 1 << 16))
        let n = buffer.withUnsafeMutableBytes { source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
        buffer.removeLast(buffer.count - old - max(n, 0))
        if n < 0, let damage = source.damage { throw damage }
        if n < 0 { throw DecryptionError(.io, "read error after \(offset + Int64(available)) bytes: \(source.failure ?? "unknown")") }
        if n == 0 { sourceEnded = true }
        return n > 0
    }

    /// The next line without its `\n`; nil at the end of the file (or a last line without
    /// `\n`, which no header has), damage when a line is longer than `limit`.
    func line(limit: Int) throws(DecryptionError) -> [UInt8]? {
        var searched = 0
        while true {
            if let newline = buffer[(start + searched)...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<newline])
                offset += Int64(newline + 1 - start)
                start = newline + 1
                return line
            }
            searched = available
            if searched > limit { throw .damage(at: offset, "a header line longer than \(limit) bytes") }
            guard try refill() else { return nil }
        }
    }

    /// Whether no byte is left (reads ahead to know).
    func isAtEnd() throws(DecryptionError) -> Bool {
        if available > 0 { return false }
        return try !refill()
    }

    /// Up to `count` bytes into `output` (replacing its content): fewer only at the end.
    func read(_ count: Int, into output: inout [UInt8]) throws(DecryptionError) {
        output.removeAll(keepingCapacity: true)
        while output.count < count {
            if available == 0 {
                guard try refill() else { break }
            }
            let n = min(count - output.count, available)
            output.append(contentsOf: buffer[start..<(start + n)])
            start += n
            offset += Int64(n)
        }
    }
}
