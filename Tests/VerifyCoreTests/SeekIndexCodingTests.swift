import Testing
@testable import VerifyCore

/// The seek index file format: what it writes reads back, and a damaged or hostile file is an
/// error naming what is wrong, never a crash or an index that points outside the archive.
@Suite struct SeekIndexCodingTests {
    static let identity = ArchiveIdentity(
        path: "/srv/backups/a.tar", size: 1 << 20, mtimeNanoseconds: 1_765_000_000_123_456_789, device: 2049, inode: 1234,
        headDigest: Array(repeating: 0xab, count: 32), tailDigest: Array(repeating: 0xcd, count: 32))

    static let sample = SeekIndex(kind: .plainTar, identity: identity, formatName: "GNU tar format", entries: [
        .init(headerOffset: 0, dataOffset: 512, type: .directory, size: 0, rawPath: Array("etc/".utf8)),
        .init(headerOffset: 512, dataOffset: 1024, type: .file, size: 300, rawPath: Array("etc/hosts".utf8)),
        .init(headerOffset: 1536, dataOffset: 3072, type: .file, size: 70_000, rawPath: Array(repeating: UInt8(ascii: "n"), count: 200)),
        .init(headerOffset: 73_728, dataOffset: 74_240, type: .hardlink, size: 0, rawPath: Array("etc/hosts2".utf8), hardlinkTarget: Array("etc/hosts".utf8)),
        .init(headerOffset: 74_240, dataOffset: 74_752, type: .symlink, size: nil, rawPath: [0xff, 0xfe, 0x41]),
    ])

    @Test func roundTrip() throws {
        let bytes = Self.sample.encoded()
        #expect(try SeekIndex.decode(bytes) == Self.sample)
        // About 12 bytes per entry plus its name: far under 1% of any tar (512 bytes a header).
        #expect(bytes.count < 250 + Self.sample.entries.reduce(0) { $0 + $1.rawPath.count + 12 })
    }

    @Test func negativeMtimeRoundTrips() throws {
        var index = Self.sample
        index.identity.mtimeNanoseconds = -5_000_000_001
        #expect(try SeekIndex.decode(index.encoded()).identity.mtimeNanoseconds == -5_000_000_001)
    }

    @Test func everyFlippedByteIsRefused() {
        let bytes = Self.sample.encoded()
        for position in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xff] {
                var damaged = bytes
                damaged[position] ^= mask
                #expect(throws: SeekIndexError.self, "byte \(position) ^ \(mask)") { try SeekIndex.decode(damaged) }
            }
        }
    }

    @Test func everyTruncationIsRefused() {
        let bytes = Self.sample.encoded()
        for length in 0..<bytes.count {
            #expect(throws: SeekIndexError.self, "cut at \(length)") { try SeekIndex.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: SeekIndexError.self) { try SeekIndex.decode(bytes + [0]) }
    }

    /// A hostile file with a valid checksum: each lie is caught by the decoder's own bounds.
    @Test(arguments: HostileIndex.allCases)
    func hostileIndexIsRefused(_ hostile: HostileIndex) {
        let error = #expect(throws: SeekIndexError.self) { try SeekIndex.decode(hostile.bytes()) }
        #expect(error?.description.contains(hostile.expectedWords) == true, "\(error?.description ?? "")")
    }

    @Test func otherVersionsAndMagicAreNamed() {
        var bytes = Self.sample.encoded()
        bytes[8] = 3
        #expect(throws: SeekIndexError.self) { try SeekIndex.decode(bytes) }
        let error = #expect(throws: SeekIndexError.self) { try SeekIndex.decode(Array("not an index at all, but long enough to be looked at".utf8)) }
        #expect(error?.description.contains("magic") == true)
        var future = SeekIndex.magic + [3, 0, 1]
        future += Array(repeating: 0, count: 40)
        let versionError = #expect(throws: SeekIndexError.self) { try SeekIndex.decode(future) }
        #expect(versionError?.description.contains("version 3") == true)
        // Version 1 stored names whole: refused, with what to do.
        var old = SeekIndex.magic + [1, 0, 1]
        old += Array(repeating: 0, count: 40)
        let oldError = #expect(throws: SeekIndexError.self) { try SeekIndex.decode(old) }
        #expect(oldError?.description.contains("version 1") == true)
        #expect(oldError?.description.contains("rebuild the index") == true)
    }

    /// Names are front-coded: a tree's sorted paths cost what differs from the previous name,
    /// and names that share nothing, repeat, or are cut short of the previous one read back.
    @Test func namesAreFrontCoded() throws {
        var entries: [SeekIndex.Entry] = []
        var offset: Int64 = 0
        for dir in 0..<20 {
            for file in 0..<50 {
                let name = "usr/share/doc/some-package-\(dir)/examples/file-\(file).txt"
                entries.append(.init(headerOffset: offset, dataOffset: offset + 512, type: .file, size: 100, rawPath: Array(name.utf8)))
                offset += 1024
            }
        }
        entries += [
            .init(headerOffset: offset, dataOffset: offset + 512, type: .file, size: 1, rawPath: Array("u".utf8)),
            .init(headerOffset: offset + 1024, dataOffset: offset + 1536, type: .file, size: 1, rawPath: Array("u".utf8)),
            .init(headerOffset: offset + 2048, dataOffset: offset + 2560, type: .file, size: 1, rawPath: []),
            .init(headerOffset: offset + 3072, dataOffset: offset + 3584, type: .hardlink, size: 0, rawPath: Array("zz/b".utf8), hardlinkTarget: Array("zz/a".utf8)),
            .init(headerOffset: offset + 4096, dataOffset: offset + 4608, type: .hardlink, size: 0, rawPath: Array("zz/c".utf8), hardlinkTarget: []),
        ]
        var index = Self.sample
        index.identity.size = offset + 8192
        index.entries = entries
        let bytes = index.encoded()
        #expect(try SeekIndex.decode(bytes) == index)
        let whole = entries.reduce(0) { $0 + $1.rawPath.count }
        // 1,005 names of about 50 bytes: stored whole they took 49,000 bytes; front-coded the
        // entries take about 14 bytes each, offsets and sizes included.
        #expect(bytes.count < whole / 3, "\(bytes.count) bytes for \(whole) bytes of names")
    }

    @Test func runsGroupConsecutiveNeededEntries() {
        #expect(SeekIndex.runs([]) == [])
        #expect(SeekIndex.runs([false, false]) == [])
        #expect(SeekIndex.runs([true]) == [0..<1])
        #expect(SeekIndex.runs([true, true, false, true, false, false, true, true]) == [0..<2, 3..<4, 6..<8])
    }

    @Test func identityDifferencesAreNamed() {
        let a = Self.identity
        var b = a
        #expect(a.difference(from: b) == nil)
        b.size += 1
        #expect(a.difference(from: b)?.contains("size") == true)
        b = a
        b.mtimeNanoseconds += 1
        #expect(a.difference(from: b)?.contains("modification time") == true)
        b = a
        b.inode += 1
        #expect(a.difference(from: b)?.contains("inode") == true)
        b = a
        b.tailDigest[0] ^= 1
        #expect(a.difference(from: b)?.contains("last 64 KiB") == true)
        b = a
        b.path = "/elsewhere.tar"
        #expect(a.difference(from: b)?.contains("made for") == true)
    }

    @Test func headerMismatchesAreNamed() {
        let entry = Self.sample.entries[1]
        #expect(entry.mismatch(with: entry.header, dataOffset: entry.dataOffset) == nil)
        var other = entry.header
        other.rawPath = Array("etc/passwd".utf8)
        #expect(entry.mismatch(with: other, dataOffset: entry.dataOffset)?.contains("etc/passwd") == true)
        other = entry.header
        other.size = 301
        #expect(entry.mismatch(with: other, dataOffset: entry.dataOffset)?.contains("301") == true)
        other = entry.header
        other.type = .symlink
        #expect(entry.mismatch(with: other, dataOffset: entry.dataOffset) != nil)
        #expect(entry.mismatch(with: entry.header, dataOffset: entry.dataOffset + 512)?.contains("data starts") == true)
    }
}

/// Index files whose checksum is right and whose content lies.
enum HostileIndex: CaseIterable, Sendable {
    case absurdCount, offsetPastEnd, dataBeforeHeader, hugeName, varintOverflow, unknownType, unknownKind, trailingBytes
    /// Front coding: a shared prefix longer than the previous name, a huge one, a name made
    /// huge by its prefix, and small entries that each repeat a long name (a memory bomb).
    case sharedPastPreviousName, hugeSharedPrefix, hugeNameByPrefix, namesThatDoNotGrow

    var expectedWords: String {
        switch self {
        case .absurdCount: "claims"
        case .offsetPastEnd: "past the end"
        case .dataBeforeHeader: "data offset"
        case .hugeName: "name of"
        case .varintOverflow: "overflows"
        case .unknownType: "unknown type"
        case .unknownKind: "unknown seek index kind"
        case .trailingBytes: "after the last entry"
        case .sharedPastPreviousName: "shares 2 bytes with a previous name of 1 bytes"
        case .hugeSharedPrefix: "shares 1099511627776 bytes"
        case .hugeNameByPrefix: "longer than the index allows"
        case .namesThatDoNotGrow: "names decode to more bytes"
        }
    }

    func bytes() -> [UInt8] {
        var out = SeekIndexWriter()
        out.bytes(SeekIndex.magic)
        out.bytes([UInt8(SeekIndex.formatVersion), 0, self == .unknownKind ? 9 : 1])
        out.name(Array("/a.tar".utf8))
        out.varint(self == .namesThatDoNotGrow ? 1 << 40 : 10_000)  // archive size
        out.varint(0)
        out.varint(1)
        out.varint(1)
        out.bytes(Array(repeating: 0, count: 64))
        out.name(Array("GNU tar format".utf8))
        switch self {
        case .absurdCount:
            out.varint(UInt64(Int32.max))
        case .offsetPastEnd:
            out.varint(1)
            out.varint(20_000); out.varint(512); out.byte(1); out.varint(0); out.name(Array("x".utf8))
        case .dataBeforeHeader:
            out.varint(1)
            out.varint(512); out.varint(0); out.byte(1); out.varint(0); out.name(Array("x".utf8))
        case .hugeName:
            out.varint(1)
            out.varint(0); out.varint(512); out.byte(1); out.varint(0); out.varint(1 << 40)
        case .varintOverflow:
            out.varint(1)
            out.bytes(Array(repeating: 0xff, count: 11))
        case .unknownType:
            out.varint(1)
            out.varint(0); out.varint(512); out.byte(0x7f); out.varint(0); out.name(Array("x".utf8))
        case .unknownKind:
            out.varint(0)
        case .trailingBytes:
            out.varint(0)
            out.bytes([1, 2, 3])
        case .sharedPastPreviousName:
            out.varint(2)
            out.varint(0); out.varint(512); out.byte(1); out.varint(0); out.name(Array("x".utf8))
            out.varint(0); out.varint(512); out.byte(1); out.varint(2); out.name(Array("y".utf8))
        case .hugeSharedPrefix:
            out.varint(1)
            out.varint(0); out.varint(512); out.byte(1); out.varint(1 << 40); out.name(Array("x".utf8))
        case .hugeNameByPrefix:
            out.varint(2)
            out.varint(0); out.varint(512); out.byte(1); out.varint(0); out.name(Array(repeating: 0x61, count: SeekIndex.nameLimit))
            out.varint(0); out.varint(512); out.byte(1); out.varint(UInt64(SeekIndex.nameLimit)); out.name(Array("x".utf8))
        case .namesThatDoNotGrow:
            // 60,000 bytes once, then 2,000 entries of 7 bytes that each repeat them: 120 MB.
            out.varint(2_001)
            out.varint(0); out.varint(512); out.byte(1); out.varint(0); out.name(Array(repeating: 0x61, count: 60_000))
            for _ in 0..<2_000 {
                out.varint(0); out.varint(512); out.byte(1); out.varint(60_000); out.name([])
            }
        }
        var hasher = ContentHasher(algorithms: [.sha256])
        out.buffer.withUnsafeBytes { hasher.update($0) }
        out.bytes(hasher.finalize()[0].bytes)
        return out.buffer
    }
}
