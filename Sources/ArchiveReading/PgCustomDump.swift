import CZlib
#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// pg_dump's custom format (`pg_dump -Fc`, a file that starts with `PGDMP`): its header and
/// table of contents are read, then every data block, each one's zlib stream inflated to its end
/// (Adler-32 checked by zlib). A block the table of contents lists that never comes means the
/// dumper stopped midway: the file is a `truncated_dump`. Formats 1.12 to 1.16 (PostgreSQL 11 to
/// 17) with zlib or no compression; lz4 and zstd blocks (PostgreSQL 16's -Z lz4/zstd) are walked
/// chunk by chunk without being decompressed.
///
/// The layout is PostgreSQL's pg_backup_archiver.c and pg_backup_custom.c: integers are a sign
/// byte and `intSize` bytes, least significant first; strings an integer length (-1: null) and
/// the bytes; a data block is a type byte (1 data, 3 large objects), the entry's dump id, and
/// chunks of an integer length and bytes, ended by a length of 0.
struct PgCustomDump {
    typealias Summary = PgCustomDumpSummary

    static let magic = Array("PGDMP".utf8)

    private var input: PositionedInput
    private var intSize = 4
    private var offSize = 8
    private var minor = 0

    init(fd: Int32, fileSize: Int64, progress: ReadProgress, wholeFileAlgorithms: [DigestAlgorithm]) {
        input = PositionedInput(fd: fd, fileSize: fileSize, progress: progress)
        input.hasher = wholeFileAlgorithms.isEmpty ? nil : ContentHasher(algorithms: wholeFileAlgorithms)
    }

    /// Reads the whole file. Never throws: what is wrong is in the summary.
    mutating func read() -> Summary {
        var summary = Summary(version: "?", compression: "?", tocEntries: 0, dataEntries: 0, blocksRead: 0, contentBytes: 0)
        do {
            let compressed = try readHeader(&summary)
            let expected = try readTableOfContents(&summary)
            summary.dataEntries = expected.count
            var pending = expected
            while let type = try input.byteOrEnd() {
                let id = try int()
                guard type == 1 || type == 3 else { throw Problem.damage("unknown data block type \(type) at byte \(input.offset - Int64(intSize) - 2)") }
                guard let name = pending.removeValue(forKey: id) else {
                    throw Problem.damage("a data block for dump id \(id), which the table of contents does not list as having data")
                }
                if type == 3 {
                    // Large objects: an oid, its stream, ... ended by an oid of 0.
                    while try int() != 0 { summary.contentBytes += try readStream(compressed, name) }
                } else {
                    summary.contentBytes += try readStream(compressed, name)
                }
                summary.blocksRead += 1
            }
            summary.wholeFileDigests = input.hasher?.finalize() ?? []
            if !pending.isEmpty {
                let names = pending.sorted { $0.key < $1.key }.map(\.value)
                summary.truncation = "the data of \(names.count) of \(expected.count) entries never came (the file ends after \(summary.blocksRead) "
                    + "data blocks; missing: \(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", …" : ""))"
            }
        } catch Problem.truncated(let why) {
            summary.truncation = why
        } catch Problem.damage(let why) {
            summary.damage = "pg_dump custom format: \(why)"
        } catch let error as ArchiveReadError {
            summary.ioError = error.message
        } catch {
            summary.damage = "pg_dump custom format: \(error)"
        }
        return summary
    }

    enum Problem: Error {
        case truncated(String)
        case damage(String)
    }

    /// Reads the header; returns whether data blocks are zlib streams.
    private mutating func readHeader(_ summary: inout Summary) throws -> Bool {
        guard try input.bytes(5) == Self.magic else { throw Problem.damage("no PGDMP signature") }
        let major = Int(try input.byte()), minor = Int(try input.byte()), revision = Int(try input.byte())
        summary.version = "\(major).\(minor).\(revision)"
        guard major == 1, (12...16).contains(minor) else { throw Problem.damage("format version \(summary.version) is not one verifyd reads (1.12 to 1.16)") }
        self.minor = minor
        intSize = Int(try input.byte())
        offSize = Int(try input.byte())
        guard (1...8).contains(intSize), (1...8).contains(offSize) else { throw Problem.damage("integer sizes \(intSize) and \(offSize) are not possible") }
        let format = try input.byte()
        guard format == 1 else { throw Problem.damage("archive format \(format) is not the custom format (1)") }
        var compressed: Bool
        if minor >= 15 {
            let algorithm = try input.byte()
            switch algorithm {
            case 0: summary.compression = "none"; compressed = false
            case 1: summary.compression = "gzip"; compressed = true
            case 2: summary.compression = "lz4"; compressed = false
            case 3: summary.compression = "zstd"; compressed = false
            default: throw Problem.damage("compression algorithm \(algorithm) is unknown")
            }
        } else {
            let level = try int()
            compressed = level != 0
            summary.compression = compressed ? "zlib" : "none"
        }
        for _ in 0..<7 { _ = try int() }  // the creation time
        _ = try string()  // database name
        _ = try string()  // server version
        _ = try string()  // pg_dump version
        return compressed
    }

    /// Reads the table of contents; returns the entries that have data: dump id to a name.
    private mutating func readTableOfContents(_ summary: inout Summary) throws -> [Int: String] {
        let count = try int()
        guard count >= 0, count < 100_000_000 else { throw Problem.damage("a table of contents of \(count) entries") }
        summary.tocEntries = count
        var withData = [Int: String]()
        for _ in 0..<count {
            let id = try int()
            _ = try int()  // had a dumper
            _ = try string()  // table oid
            _ = try string()  // oid
            let tag = try string() ?? ""
            let kind = try string() ?? ""
            _ = try int()  // section
            for _ in 0..<5 { _ = try string() }  // definition, drop, copy statement, namespace, tablespace
            if minor >= 14 { _ = try string() }  // table access method
            if minor >= 16 { _ = try int() }  // relkind
            _ = try string()  // owner
            _ = try string()  // "false" (with oids)
            while try string() != nil {}  // dependencies, ended by a null
            let state = try input.byte()  // K_OFFSET_POS_NOT_SET 1, POS_SET 2, NO_DATA 3
            _ = try input.bytes(offSize)
            guard (1...3).contains(state) else { throw Problem.damage("table of contents entry \(id) has data state \(state)") }
            if state != 3 { withData[id] = "\(kind) \(tag)" }
        }
        return withData
    }

    /// Reads the chunks of one data stream, inflating them when compressed; the bytes of content.
    private mutating func readStream(_ compressed: Bool, _ name: String) throws -> Int64 {
        let inflater = compressed ? try ZlibStream() : nil
        var produced: Int64 = 0
        while true {
            let length = try int()
            if length == 0 { break }
            guard length > 0 else { throw Problem.damage("\(name): a chunk of length \(length)") }
            var remaining = length
            while remaining > 0 {
                let chunk = try input.next(max: remaining, cutShort: "the file ends inside the data of \(name)")
                remaining -= chunk.count
                if let inflater {
                    produced += try inflater.inflate(chunk, name)
                } else {
                    produced += Int64(chunk.count)
                }
            }
        }
        if let inflater, !inflater.ended {
            throw Problem.damage("\(name): its zlib stream does not end where its data does")
        }
        return produced
    }

    private mutating func int() throws -> Int {
        let sign = try input.byte()
        var value = 0
        for shift in 0..<intSize {
            let byte = Int(try input.byte())
            if shift < 8 { value |= byte << (8 * shift) }
        }
        guard sign <= 1 else { throw Problem.damage("an integer with sign byte \(sign) at byte \(input.offset - Int64(intSize) - 1)") }
        return sign == 1 ? -value : value
    }

    private mutating func string() throws -> String? {
        let length = try int()
        if length < 0 { return nil }
        guard Int64(length) <= input.remaining else { throw Problem.truncated("the file ends inside the table of contents") }
        return String(decoding: try input.bytes(length), as: UTF8.self)
    }
}

/// The file read forward in blocks with pread.
private struct PositionedInput {
    let fd: Int32
    let fileSize: Int64
    let progress: ReadProgress
    private(set) var offset: Int64 = 0
    /// The whole-file digest, as the blocks go by.
    var hasher: ContentHasher?
    private var buffer = [UInt8]()
    private var start = 0

    init(fd: Int32, fileSize: Int64, progress: ReadProgress) {
        self.fd = fd
        self.fileSize = fileSize
        self.progress = progress
    }

    var remaining: Int64 { fileSize - offset }

    /// Refills when empty; false at the end of the file.
    private mutating func fill() throws -> Bool {
        if start < buffer.count { return true }
        let want = Int(min(Int64(256 << 10), fileSize - offset))
        guard want > 0 else { return false }
        guard let block = FileBytes.read(fd, at: offset, count: want) else {
            throw ArchiveReadError(code: .io, message: "read error at byte \(offset)", path: "")
        }
        progress.tick()
        progress.addRawBytes(block.count)
        block.withUnsafeBytes { hasher?.update($0) }
        buffer = block
        start = 0
        return true
    }

    mutating func byteOrEnd() throws -> UInt8? {
        guard try fill() else { return nil }
        start += 1
        offset += 1
        return buffer[start - 1]
    }

    mutating func byte() throws -> UInt8 {
        guard let byte = try byteOrEnd() else { throw PgCustomDump.Problem.truncated("the file ends at byte \(offset), inside a header or a block") }
        return byte
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            out += try next(max: count - out.count, cutShort: "the file ends at byte \(fileSize), inside a header or a block")
        }
        return out
    }

    mutating func next(max: Int, cutShort: String) throws -> ArraySlice<UInt8> {
        guard try fill() else { throw PgCustomDump.Problem.truncated(cutShort) }
        let n = min(max, buffer.count - start)
        defer { start += n; offset += Int64(n) }
        return buffer[start..<start + n]
    }
}

/// One zlib stream (zlib header, deflate data, Adler-32), fed in pieces.
private final class ZlibStream {
    private var stream = z_stream()
    private(set) var ended = false
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)

    init() throws {
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            output.deallocate()
            throw ArchiveReadError(code: .resource, message: "zlib could not start", path: "")
        }
    }

    deinit {
        inflateEnd(&stream)
        output.deallocate()
    }

    /// Inflates a piece; the bytes produced.
    func inflate(_ piece: ArraySlice<UInt8>, _ name: String) throws -> Int64 {
        guard !ended else { throw PgCustomDump.Problem.damage("\(name): bytes after the end of its zlib stream") }
        var produced: Int64 = 0
        try piece.withUnsafeBytes { bytes in
            stream.next_in = UnsafeMutablePointer(mutating: bytes.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(bytes.count)
            repeat {
                stream.next_out = output.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(output.count)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                produced += Int64(output.count - Int(stream.avail_out))
                if status == Z_STREAM_END {
                    ended = true
                    guard stream.avail_in == 0 else { throw PgCustomDump.Problem.damage("\(name): bytes after the end of its zlib stream") }
                    return
                }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    let why = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw PgCustomDump.Problem.damage("\(name): its compressed data does not inflate (\(why))")
                }
                if status == Z_BUF_ERROR, stream.avail_in > 0, stream.avail_out > 0 {
                    throw PgCustomDump.Problem.damage("\(name): zlib made no progress")
                }
            } while stream.avail_in > 0 || stream.avail_out == 0
        }
        return produced
    }
}

/// What reading a pg_dump custom-format file found (`PgCustomDump`).
public struct PgCustomDumpSummary: Sendable, Equatable {
    /// The format's version, e.g. "1.14.0".
    public var version: String
    /// How its data blocks are compressed: none, zlib, gzip, lz4, zstd.
    public var compression: String
    public var tocEntries: Int
    /// Entries of the table of contents that have a data block.
    public var dataEntries: Int
    public var blocksRead: Int
    /// Why the dump is cut short (entries whose data never came, or a block cut), if it is.
    public var truncation: String?
    /// Damage: a block whose compressed stream does not inflate, a malformed header.
    public var damage: String?
    public var ioError: String?
    /// Bytes of data after decompression.
    public var contentBytes: Int64
    /// The whole-file digests, when asked for and the file was read to its end.
    public var wholeFileDigests: [Digest] = []

    /// What reading it checked, for the report.
    public var checks: [String] {
        let inflated = compression == "zlib" || compression == "gzip" ? ", each one's zlib stream inflated to its end (Adler-32)"
            : compression == "none" ? "" : " (\(compression) blocks walked, not decompressed)"
        return ["pg_dump custom format \(version): table of contents read (\(tocEntries) entries), \(blocksRead) of \(dataEntries) data blocks read\(inflated)"]
    }
}
