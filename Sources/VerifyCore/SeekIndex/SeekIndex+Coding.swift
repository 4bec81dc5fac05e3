import Crypto

/// The file format of a ``SeekIndex``, version 2, little-endian:
///
///     magic "VFYSEEK\0" (8 bytes), version u16, kind u8
///     identity: path (varint length + bytes), size, mtime (zigzag), device, inode (varints),
///               head and tail digests (32 bytes each)
///     format name (varint length + bytes)
///     kind 2 (gzip), 3 (zstd) and 4 (xz) only: decompressed size (varint)
///     entry count (varint)
///     per entry: header offset minus the previous entry's data offset (varint),
///                data offset minus header offset (varint), type code u8 (bit 7: a size follows),
///                size (varint), name, for a hard link its target; a name is front-coded: the
///                length of the prefix it shares with the previous entry's name (varint), then
///                the rest (varint length + bytes); a hard link's target shares its prefix with
///                the entry's own name
///     kind 2 (gzip), 3 (zstd) and 4 (xz) only: checkpoint count (varint); per checkpoint: decompressed and file
///                offsets minus the previous one's (varints), bits u8 (bit 7: a member's start),
///                compressed window (varint length + bytes), `SeekIndex+Checkpoint.swift`
///     SHA-256 of every byte before it (32 bytes)
///
/// Decoding checks the checksum first, then every count, length and offset against what is
/// left and against the archive's size: a damaged or hostile file is an error, never a crash.
/// A shared prefix is at most the previous name, and all names together decode to at most
/// ``nameBytesLimit(encodedSize:)``: a small hostile file cannot make a huge index in memory.
extension SeekIndex {
    static let magic: [UInt8] = Array("VFYSEEK".utf8) + [0]
    public static let formatVersion: UInt16 = 2
    /// The longest name an entry may have in an index (tar's pax names are far shorter in practice).
    static let nameLimit = 1 << 20

    /// The most bytes all names of an index of `encodedSize` bytes may decode to: 64 times its
    /// size (a real tree's names compress about 5 to 10 times), at least 16 MiB.
    static func nameBytesLimit(encodedSize: Int) -> Int { max(encodedSize.multipliedReportingOverflow(by: 64).partialValue, 16 << 20) }

    public func encoded() -> [UInt8] {
        var out = SeekIndexWriter()
        out.bytes(Self.magic)
        out.byte(UInt8(Self.formatVersion & 0xff))
        out.byte(UInt8(Self.formatVersion >> 8))
        out.byte(kind.rawValue)
        out.name(Array(identity.path.utf8))
        out.varint(UInt64(identity.size))
        out.varint(UInt64(bitPattern: (identity.mtimeNanoseconds << 1) ^ (identity.mtimeNanoseconds >> 63)))
        out.varint(identity.device)
        out.varint(identity.inode)
        out.bytes(identity.headDigest)
        out.bytes(identity.tailDigest)
        out.name(Array(formatName.utf8))
        if kind.isCompressed { out.varint(UInt64(decodedSize)) }
        out.varint(UInt64(entries.count))
        var previousEnd: Int64 = 0
        var previousName: [UInt8] = []
        for entry in entries {
            out.varint(UInt64(entry.headerOffset - previousEnd))
            out.varint(UInt64(entry.dataOffset - entry.headerOffset))
            out.byte(Self.typeCode(entry.type) | (entry.size != nil ? 0x80 : 0))
            if let size = entry.size { out.varint(UInt64(size)) }
            out.name(entry.rawPath, after: previousName)
            if entry.type == .hardlink { out.name(entry.hardlinkTarget ?? [], after: entry.rawPath) }
            previousEnd = entry.dataOffset
            previousName = entry.rawPath
        }
        if kind.isCompressed { encodeCheckpoints(&out) }
        out.bytes(Array(SHA256.hash(data: out.buffer)))
        return out.buffer
    }

    /// Reads an index written by ``encoded()``.
    public static func decode(_ bytes: [UInt8]) throws(SeekIndexError) -> SeekIndex {
        guard bytes.count >= magic.count + 3 + 32 else { throw SeekIndexError("the file is too short to be a seek index (\(bytes.count) bytes)") }
        guard bytes.starts(with: magic) else { throw SeekIndexError("not a verifyd seek index (wrong magic bytes)") }
        let version = UInt16(bytes[8]) | UInt16(bytes[9]) << 8
        guard version == formatVersion else {
            throw SeekIndexError("seek index version \(version) is not supported (this verifyd reads version \(formatVersion)): rebuild the index")
        }
        let body = bytes[..<(bytes.count - 32)]
        guard Array(SHA256.hash(data: body)) == Array(bytes[(bytes.count - 32)...]) else {
            throw SeekIndexError("the seek index's checksum does not match its content (the file is damaged)")
        }
        var input = SeekIndexReader(body, at: magic.count + 2)
        guard let kind = Kind(rawValue: try input.byte()) else { throw SeekIndexError("unknown seek index kind") }
        let identity = try readIdentity(&input)
        guard let formatName = String(validating: try input.name(limit: 256), as: UTF8.self) else { throw SeekIndexError("the format name is not UTF-8") }
        var decodedSize: Int64 = 0
        if kind.isCompressed {
            let size = try input.varint()
            guard size <= UInt64(decodedLimit(identity.size, kind: kind)) else { throw SeekIndexError("the decompressed size \(size) is more than a \(kind.filterName) file of \(identity.size) bytes can hold") }
            decodedSize = Int64(size)
        }
        // Entry offsets are in the file for a plain tar, in the decompressed stream for gzip.
        let entries = try readEntries(&input, fileSize: kind.isCompressed ? decodedSize : identity.size, nameBytes: nameBytesLimit(encodedSize: bytes.count))
        let checkpoints = kind.isCompressed ? try readCheckpoints(&input, fileSize: identity.size, decodedSize: decodedSize) : []
        if kind.startsWholeFrames { try checkFrameStarts(checkpoints) }
        guard input.isAtEnd else { throw SeekIndexError("\(input.remaining) bytes after the last entry") }
        return SeekIndex(kind: kind, identity: identity, formatName: formatName, entries: entries, checkpoints: checkpoints, decodedSize: decodedSize)
    }

    private static func readIdentity(_ input: inout SeekIndexReader) throws(SeekIndexError) -> ArchiveIdentity {
        guard let path = String(validating: try input.name(limit: 1 << 16), as: UTF8.self) else { throw SeekIndexError("the archive path is not UTF-8") }
        let size = try input.varint()
        guard size <= UInt64(Int64.max) else { throw SeekIndexError("the archive size is out of range") }
        let zigzag = try input.varint()
        let mtime = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        let device = try input.varint()
        let inode = try input.varint()
        let head = try input.bytes(32)
        let tail = try input.bytes(32)
        return ArchiveIdentity(
            path: path, size: Int64(size), mtimeNanoseconds: mtime, device: device, inode: inode, headDigest: head, tailDigest: tail)
    }

    private static func readEntries(_ input: inout SeekIndexReader, fileSize: Int64, nameBytes: Int) throws(SeekIndexError) -> [Entry] {
        let count = try input.varint()
        // Each entry takes at least 4 bytes: a count larger than that allows is a lie.
        guard count <= UInt64(input.remaining / 4) else { throw SeekIndexError("the index claims \(count) entries in \(input.remaining) bytes") }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var previousEnd: Int64 = 0
        var previousName: [UInt8] = []
        var namesLeft = nameBytes
        for n in 0..<Int(count) {
            let header = previousEnd.addingReportingOverflow(try input.offset(n))
            guard !header.overflow, header.partialValue < fileSize else { throw SeekIndexError("entry \(n): its header offset is past the end of the archive") }
            let data = header.partialValue.addingReportingOverflow(try input.offset(n))
            guard !data.overflow, data.partialValue <= fileSize, data.partialValue > header.partialValue else {
                throw SeekIndexError("entry \(n): its data offset is out of range")
            }
            let code = try input.byte()
            guard let type = typeFromCode(code & 0x7f) else { throw SeekIndexError("entry \(n): unknown type code \(code & 0x7f)") }
            var size: Int64?
            if code & 0x80 != 0 { size = try input.offset(n) }
            let rawPath = try input.name(after: previousName, entry: n, budget: &namesLeft)
            let target = type == .hardlink ? try input.name(after: rawPath, entry: n, budget: &namesLeft) : nil
            entries.append(Entry(headerOffset: header.partialValue, dataOffset: data.partialValue, type: type, size: size, rawPath: rawPath, hardlinkTarget: target))
            previousEnd = data.partialValue
            previousName = rawPath
        }
        return entries
    }

    static func typeCode(_ type: EntryType) -> UInt8 { UInt8(EntryType.allCases.firstIndex(of: type)!) }

    static func typeFromCode(_ code: UInt8) -> EntryType? {
        Int(code) < EntryType.allCases.count ? EntryType.allCases[Int(code)] : nil
    }
}

/// Why a seek index file cannot be used.
public struct SeekIndexError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

struct SeekIndexWriter {
    var buffer: [UInt8] = []
    mutating func byte(_ value: UInt8) { buffer.append(value) }
    mutating func bytes(_ values: [UInt8]) { buffer.append(contentsOf: values) }
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }
    mutating func name(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes(value)
    }
    /// A name front-coded against `previous`: the length of their common prefix, then the rest.
    mutating func name(_ value: [UInt8], after previous: [UInt8]) {
        var shared = 0
        let limit = min(value.count, previous.count)
        while shared < limit, value[shared] == previous[shared] { shared += 1 }
        varint(UInt64(shared))
        name(Array(value[shared...]))
    }
}

struct SeekIndexReader {
    private let data: ArraySlice<UInt8>
    private var position: Int

    init(_ data: ArraySlice<UInt8>, at position: Int) {
        self.data = data
        self.position = data.startIndex + position
    }

    var remaining: Int { data.endIndex - position }
    var isAtEnd: Bool { position == data.endIndex }

    mutating func byte() throws(SeekIndexError) -> UInt8 {
        guard position < data.endIndex else { throw SeekIndexError("the index ends in the middle of a record") }
        defer { position += 1 }
        return data[position]
    }

    mutating func bytes(_ count: Int) throws(SeekIndexError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw SeekIndexError("the index ends in the middle of a record") }
        defer { position += count }
        return Array(data[position..<(position + count)])
    }

    mutating func varint() throws(SeekIndexError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            let b = try byte()
            guard shift < 63 || b <= 1 else { throw SeekIndexError("a number in the index overflows 64 bits") }
            value |= UInt64(b & 0x7f) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        throw SeekIndexError("a number in the index overflows 64 bits")
    }

    /// A non-negative 63-bit number (an offset, a delta or a size).
    mutating func offset(_ entry: Int) throws(SeekIndexError) -> Int64 {
        let value = try varint()
        guard value <= UInt64(Int64.max) else { throw SeekIndexError("entry \(entry): a number is out of range") }
        return Int64(value)
    }

    mutating func name(limit: Int) throws(SeekIndexError) -> [UInt8] {
        let length = try varint()
        guard length <= UInt64(min(limit, remaining)) else { throw SeekIndexError("a name of \(length) bytes is longer than the index allows or holds") }
        return try bytes(Int(length))
    }

    /// A name front-coded against `previous`; `budget`: the bytes all names may still decode to.
    mutating func name(after previous: [UInt8], entry: Int, budget: inout Int) throws(SeekIndexError) -> [UInt8] {
        let shared = try varint()
        guard shared <= UInt64(previous.count) else {
            throw SeekIndexError("entry \(entry): its name shares \(shared) bytes with a previous name of \(previous.count) bytes")
        }
        let rest = try name(limit: SeekIndex.nameLimit)
        let length = Int(shared) + rest.count
        guard length <= SeekIndex.nameLimit else { throw SeekIndexError("entry \(entry): a name of \(length) bytes is longer than the index allows") }
        guard length <= budget else { throw SeekIndexError("entry \(entry): the names decode to more bytes than an index of this size may hold") }
        budget -= length
        return Array(previous[..<Int(shared)]) + rest
    }
}
