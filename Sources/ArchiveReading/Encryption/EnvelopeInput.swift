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
/// payload, and the offset of the next byte for messages. The buffer is raw memory copied with
/// `memcpy` (element-wise array copies cost 70 times more in a debug build).
final class EnvelopeInput {
    private let source: any RawByteSource
    private static let capacity = 1 << 18
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    private var start = 0
    private var end = 0
    private var sourceEnded = false
    /// Offset of the next byte handed out.
    private(set) var offset: Int64 = 0

    init(_ source: any RawByteSource) { self.source = source }
    deinit { buffer.deallocate() }

    private var available: Int { end - start }

    /// Reads more from the source into the buffer: false at its end.
    private func refill() throws(DecryptionError) -> Bool {
        guard !sourceEnded else { return false }
        if start > 0 {
            if available > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + start, available) }
            end = available
            start = 0
        }
        guard end < Self.capacity else { return true }
        let n = source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        if n < 0, let damage = source.damage { throw damage }
        if n < 0 { throw DecryptionError(.io, "read error after \(offset + Int64(available)) bytes: \(source.failure ?? "unknown")") }
        if n == 0 { sourceEnded = true }
        end += n
        return n > 0
    }

    /// The next line without its `\n`; nil at the end of the file (or a last line without
    /// `\n`, which no header has), damage when a line is longer than `limit`.
    func line(limit: Int) throws(DecryptionError) -> [UInt8]? {
        var searched = 0
        while true {
            if let newline = UnsafeRawBufferPointer(rebasing: buffer[(start + searched)..<end]).firstIndex(of: UInt8(ascii: "\n")) {
                let length = searched + newline
                let line = Array(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)]))
                offset += Int64(length + 1)
                start += length + 1
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

    /// Fills `output` (fewer bytes only at the end): the count.
    func read(into output: UnsafeMutableRawBufferPointer) throws(DecryptionError) -> Int {
        var filled = 0
        while filled < output.count {
            if available == 0 {
                guard try refill() else { break }
            }
            let n = min(output.count - filled, available)
            memcpy(output.baseAddress! + filled, buffer.baseAddress! + start, n)
            start += n
            offset += Int64(n)
            filled += n
        }
        return filled
    }

    /// Up to `count` bytes (fewer only at the end).
    func read(_ count: Int) throws(DecryptionError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: DecryptionError?
        let n = bytes.withUnsafeMutableBytes { output in
            do throws(DecryptionError) {
                return try read(into: output)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return Array(bytes.prefix(n))
    }
}
