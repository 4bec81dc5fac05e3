#if canImport(Glibc)
import Glibc
#endif

/// An archive that comes as a stream (`verifyctl check -`, or a FIFO named on its command
/// line): read once, in order, never seeked. `FileSource` reads it in place of a file.
///
/// The first bytes are kept (up to `replayLimit`) so that the stream can be read again from its
/// start while little of it has gone by: for the magic numbers, for the first look at a
/// compressed stream's content, and for a compressed stream that holds no archive, read again as
/// one stream (`ArchiveReader.readAgainAsSingleStream`).
///
/// A stream that sends nothing for `stallTimeout` seconds is declared stalled (`failure`): the
/// reader's own watchdog does not count time spent waiting for input.
///
/// `@unchecked Sendable`: used by one thread at a time (the reading thread, or the inflating
/// thread it started and stopped); the hand-overs are thread starts and `InflateAhead`'s lock.
public final class ByteStream: @unchecked Sendable {
    /// What the stream is called in messages: "standard input", or the FIFO's path.
    public let name: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let stallTimeout: Double
    /// Makes the bytes in this process instead of `fd` (a decrypted envelope).
    private let producer: (any ByteProducer)?
    /// The stream's first bytes, while they are kept; nil once more than `replayLimit` went by.
    private var prefix: [UInt8]? = []
    /// Offset of the next byte `read` returns.
    private var position: Int64 = 0
    /// Bytes taken from the descriptor so far.
    private(set) var received: Int64 = 0
    private var atEnd = false
    /// Why the stream could not be read (stalled, an I/O error), once it could not.
    private(set) var failure: String?

    /// Bytes of the stream's start kept for a second read from its start.
    static let replayLimit = 16 << 20

    /// Opens `argument`: `-` is standard input (refused when it is a terminal); anything else
    /// is opened without blocking (a FIFO no writer opens must not hang the open: a signal
    /// sent to stop it may be blocked), the wait for a writer bounded by the stall timeout.
    public init(_ argument: String, stallTimeout: Double) throws(ArchiveReadError) {
        self.stallTimeout = stallTimeout
        producer = nil
        if argument == "-" {
            name = "standard input"
            guard isatty(0) != 1 else {
                throw ArchiveReadError(code: .io, message: "standard input is a terminal; pipe the archive in (tar -c ... | verifyctl check -)", path: "-")
            }
            fd = 0
            ownsDescriptor = false
        } else {
            name = argument
            fd = open(argument, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw ArchiveReadError(code: .io, message: String(cString: strerror(errno)), path: argument) }
            ownsDescriptor = true
        }
        widenPipe()
    }

    /// A stream whose bytes `producer` makes (`EncryptedEnvelope`: the plaintext of an
    /// encrypted archive, read once in order as any stream is).
    init(name: String, producer: any ByteProducer) {
        self.name = name
        self.producer = producer
        fd = -1
        ownsDescriptor = false
        stallTimeout = 0
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Linux's F_SETPIPE_SZ: a pipe of 1 MiB instead of 64 KiB lets the producer run ahead and
    /// the reader take larger reads (fewer wake-ups on each side). Not a pipe, or not allowed:
    /// left as it is.
    private static let setPipeSize: Int32 = 1031

    private func widenPipe() {
        _ = fcntl(fd, Self.setPipeSize, Int32(1 << 20))
    }

    /// Whether `argument` names a stream rather than a file: `-`, or a FIFO (followed through
    /// symlinks: `/dev/stdin` on a pipe is one).
    public static func isStream(_ argument: String) -> Bool {
        if argument == "-" { return true }
        var info = stat()
        guard stat(argument, &info) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFIFO
    }

    /// The stream ended (its writer closed it).
    var isAtEnd: Bool { atEnd }

    /// Total bytes the stream held, once it was read to its end (else what went by so far).
    public var byteCount: Int64 { received }

    /// Starts again from the first byte; false when the start is no longer kept.
    func rewind() -> Bool {
        guard position == 0 || prefix != nil else { return false }
        position = 0
        return true
    }

    /// Up to `count` of the stream's first bytes, without moving on (fewer: the stream is
    /// shorter, or it failed). Only before more than `replayLimit` bytes went by.
    func head(_ count: Int) -> [UInt8] {
        while let prefix, prefix.count < count, !atEnd, failure == nil {
            guard receive(max: min(count - prefix.count, 1 << 17)) > 0 else { break }
        }
        return Array((prefix ?? []).prefix(count))
    }

    /// Reads the next bytes into `buffer`: their count, 0 at the end, -1 when the stream
    /// stalled or failed (why in `failure`).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if let prefix, position < Int64(prefix.count) {
            let n = min(buffer.count, prefix.count - Int(position))
            prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(position), byteCount: n) }
            position += Int64(n)
            return n
        }
        let n = receive(into: buffer)
        if n > 0 { position += Int64(n) }
        return n
    }

    /// Takes up to `max` more bytes into the kept prefix: their count, 0 at the end, -1 on failure.
    private func receive(max: Int) -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max, alignment: 16)
        defer { scratch.deallocate() }
        return receive(into: scratch)
    }

    /// Waits (at most the stall timeout) for bytes and reads them into `buffer`, keeping them
    /// in the prefix while it is kept.
    private func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if failure != nil { return -1 }
        if atEnd { return 0 }
        if let producer {
            let n = producer.produce(into: buffer)
            if n < 0 { return fail("\(name): \(producer.failureMessage ?? "could not be read")") }
            if n == 0 { atEnd = true }
            keep(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            return n
        }
        let timeoutMs = Int32(min(stallTimeout * 1000, Double(Int32.max)))
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, timeoutMs)
            if polled < 0 {
                if errno == EINTR { continue }
                return fail("\(name): \(String(cString: strerror(errno)))")
            }
            if polled == 0 {
                return fail("\(name): stalled: no data for \(Self.seconds(stallTimeout)) after \(received) bytes (--stall-timeout)")
            }
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return fail("\(name): read error after \(received) bytes: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                atEnd = true
                return 0
            }
            keep(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            return n
        }
    }

    /// Counts bytes received, keeping them in the prefix while it is kept.
    private func keep(_ bytes: UnsafeRawBufferPointer) {
        received += Int64(bytes.count)
        if prefix != nil {
            if received <= Int64(Self.replayLimit) {
                prefix!.append(contentsOf: bytes)
            } else {
                prefix = nil
            }
        }
    }

    private func fail(_ message: String) -> Int {
        failure = message
        return -1
    }

    /// Seconds as a short text ("10 s", "0.5 s").
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}

/// What makes a `ByteStream`'s bytes in this process: the count, 0 at the end, -1 on failure
/// (why in `failureMessage`).
protocol ByteProducer: AnyObject {
    func produce(into buffer: UnsafeMutableRawBufferPointer) -> Int
    var failureMessage: String? { get }
}
