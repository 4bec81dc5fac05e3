import CZlib
import Foundation
import VerifyCore

/// Inflates a gzip file with zlib, every member of a multi-member file, checking each member's
/// CRC-32 and ISIZE (libarchive 3.6 never checks the gzip trailer).
///
/// The caller feeds compressed input and takes decompressed output; damage is reported as a
/// message, never as end of data.
/// A gzip decoder for `FileSource`: feed compressed input, take decompressed output, stop at
/// every member's end; damage is a message, never end of data. Two implementations that must
/// agree byte for byte: ISA-L's (fast, the default) and zlib's.
protocol GzipDecoder: AnyObject {
    /// The current member ended; the next input must start a new member (or be padding).
    var atMemberEnd: Bool { get }
    var membersFinished: Int { get }
    func inflate(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) -> GzipStep
}

/// One step of a gzip decoder.
enum GzipStep {
    /// `produced` bytes of output, `consumed` bytes of input taken.
    case progress(consumed: Int, produced: Int)
    /// Damage, after `produced` bytes of good output (a bad trailer comes after all the data).
    case damaged(String, produced: Int)
}

extension GzipBackend {
    /// `$VERIFYD_INFLATER` (isal or zlib) when set, else ISA-L.
    public static var preferred: GzipBackend {
        ProcessInfo.processInfo.environment["VERIFYD_INFLATER"].flatMap(GzipBackend.init(rawValue:)) ?? .isal
    }

    func makeDecoder() throws(ArchiveReadError) -> any GzipDecoder {
        switch self {
        case .isal: IsalGzipInflater()
        case .zlib: try GzipInflater()
        }
    }
}

final class GzipInflater: GzipDecoder {
    private var stream = z_stream()
    private var initialised = false
    /// The current member ended; the next input must start a new member (or be padding).
    private(set) var atMemberEnd = false
    private(set) var membersFinished = 0

    init() throws(ArchiveReadError) {
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw ArchiveReadError(code: .resource, message: "zlib could not start (status \(status))")
        }
        initialised = true
    }

    deinit {
        if initialised { inflateEnd(&stream) }
    }

    /// Inflates from `input` into `output`. At the end of a member, stops and sets `atMemberEnd`.
    func inflate(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) -> GzipStep {
        if atMemberEnd {
            guard inflateReset(&stream) == Z_OK else { return .damaged("zlib could not start the next gzip member", produced: 0) }
            atMemberEnd = false
        }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        let status = CZlib.inflate(&stream, Z_NO_FLUSH)
        let consumed = input.count - Int(stream.avail_in)
        let produced = output.count - Int(stream.avail_out)
        switch status {
        case Z_OK, Z_BUF_ERROR:
            return .progress(consumed: consumed, produced: produced)
        case Z_STREAM_END:
            atMemberEnd = true
            membersFinished += 1
            return .progress(consumed: consumed, produced: produced)
        default:
            return .damaged(Self.describe(status, &stream, member: membersFinished + 1), produced: status == Z_DATA_ERROR ? produced : 0)
        }
    }

    /// What a failed zlib status means, for gzip member `member`.
    static func describe(_ status: Int32, _ stream: inout z_stream, member: Int) -> String {
        switch status {
        case Z_DATA_ERROR:
            let message = stream.msg.map { String(cString: $0) } ?? "invalid data"
            switch message {
            case "incorrect data check": return "gzip member \(member): CRC-32 in the trailer does not match the data"
            case "incorrect length check": return "gzip member \(member): length (ISIZE) in the trailer does not match the data"
            default: return "gzip member \(member): \(message)"
            }
        case Z_MEM_ERROR: return "zlib ran out of memory"
        default: return "gzip member \(member): zlib status \(status)"
        }
    }
}
