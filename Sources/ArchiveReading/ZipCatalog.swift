import VerifyCore
#if canImport(Glibc)
import Glibc
#endif

/// One member as a zip's central directory describes it.
struct ZipMember: Sendable {
    var name: [UInt8]
    /// 0 stored, 8 deflated (the only methods read without libarchive).
    var method: UInt16
    var flags: UInt16
    var crc: UInt32
    var compressedSize: Int64
    var size: Int64
    var localHeaderOffset: Int64
    /// The host system (high byte: 0 MS-DOS, 3 Unix) and zip version that wrote the member.
    var versionMadeBy: UInt16 = 0
    var versionNeeded: UInt16 = 0
    /// Host attributes: MS-DOS bits in the low byte; for Unix hosts, the mode in the high 16 bits.
    var externalAttributes: UInt32 = 0
    /// The directory entry carries an Info-ZIP Unicode Path field (0x7075), a name that
    /// libarchive prefers to the one stored.
    var hasUnicodePath = false
}

/// What a zip's central directory says: every member, and the plain ones by name.
struct ZipDirectory: Sendable {
    /// Every member, in the order the directory lists them.
    let members: [ZipMember]
    /// Indices into `members` in the order of the members in the file.
    let fileOrder: [Int]
    /// Each name's member, or -1 for a name used more than once (names as stored; `EntryPath`
    /// hashes its bytes in one call, where an [UInt8] key hashes byte by byte).
    private var byName: [EntryPath: Int32]
    /// Members that are plain (`ZipCatalog.isPlain`) and named once.
    let plainCount: Int
    /// Bytes read to find and parse the directory.
    let bytesRead: Int64

    init(members: [ZipMember], fileOrder: [Int], bytesRead: Int64) {
        self.members = members
        self.fileOrder = fileOrder
        self.bytesRead = bytesRead
        var byName = [EntryPath: Int32](minimumCapacity: members.count)
        var named = [Bool](repeating: true, count: members.count)  // named once
        for (index, member) in members.enumerated() {
            let name = EntryPath(unnormalized: member.name)
            if let earlier = byName[name] {
                if earlier >= 0 { named[Int(earlier)] = false }
                named[index] = false
                byName[name] = -1
            } else {
                byName[name] = Int32(index)
            }
        }
        self.byName = byName
        plainCount = members.indices.lazy.filter { named[$0] && ZipCatalog.isPlain(members[$0]) }.count
    }

    /// The member of this name, when one member has it.
    func member(named name: [UInt8]) -> ZipMember? {
        guard let index = byName[EntryPath(unnormalized: name)], index >= 0 else { return nil }
        return members[Int(index)]
    }

    /// The plain member of this name, when one member has it.
    func plainMember(named name: [UInt8]) -> ZipMember? {
        guard let index = byName[EntryPath(unnormalized: name)], index >= 0, ZipCatalog.isPlain(members[Int(index)]) else { return nil }
        return members[Int(index)]
    }
}

/// Reads a zip's central directory (zip64 included) to find where each member's data is, so
/// that members can be read with ISA-L on both cores while libarchive walks the headers.
///
/// Only what is plain is listed: deflated or stored, not encrypted, a name used once, data that
/// fits before the next member. Anything else, and any zip whose directory does not add up, is
/// left to libarchive alone (`read` gives nil, or leaves the member out).
enum ZipCatalog {
    static func read(fd: Int32, fileSize: Int64) -> ZipDirectory? {
        // The end record: the last signature whose comment runs exactly to the end of the file.
        guard let (tail, end) = endRecord(fd: fd, fileSize: fileSize, commentReachesEnd: true),
              case .directory(let located) = locate(fd: fd, fileSize: fileSize, tail: tail, at: end) else { return nil }
        let (count, directorySize, directoryOffset, directoryEnd) = (located.count, located.size, located.offset, located.directoryEnd)
        // No data before the first member (a self-extracting stub shifts every offset).
        // Every value may be anything in a damaged or hostile zip: compared without overflowing.
        guard count > 0, directorySize >= 0, directorySize <= 1 << 30, count <= directorySize / 46, directoryOffset >= 0,
              directoryOffset == directoryEnd - directorySize,
              let directory = FileBytes.read(fd, at: directoryOffset, count: Int(directorySize)) else { return nil }

        var members: [ZipMember] = []
        members.reserveCapacity(Int(count))
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, directory.u32(at) == 0x0201_4b50 else { return nil }
            let nameLength = Int(directory.u16(at + 28)), extraLength = Int(directory.u16(at + 30))
            let commentLength = Int(directory.u16(at + 32))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else { return nil }
            var member = ZipMember(
                name: Array(directory[(at + 46)..<(at + 46 + nameLength)]), method: directory.u16(at + 10),
                flags: directory.u16(at + 8), crc: directory.u32(at + 16), compressedSize: Int64(directory.u32(at + 20)),
                size: Int64(directory.u32(at + 24)), localHeaderOffset: Int64(directory.u32(at + 42)),
                versionMadeBy: directory.u16(at + 4), versionNeeded: directory.u16(at + 6),
                externalAttributes: directory.u32(at + 38))
            let extra = directory[(at + 46 + nameLength)..<(at + 46 + nameLength + extraLength)]
            guard applyZip64(&member, extra: extra) else { return nil }
            member.hasUnicodePath = hasField(0x7075, in: extra)
            members.append(member)
            at = next
        }
        // Members in file order must not overlap one another or the directory.
        let ordered = members.indices.sorted { members[$0].localHeaderOffset < members[$1].localHeaderOffset }
        for (rank, index) in ordered.enumerated() {
            let member = members[index]
            let limit = rank + 1 < ordered.count ? members[ordered[rank + 1]].localHeaderOffset : directoryOffset
            guard member.compressedSize >= 0, member.compressedSize <= fileSize, member.size >= 0,
                  member.localHeaderOffset >= 0, member.localHeaderOffset <= fileSize,
                  member.localHeaderOffset + 30 + Int64(member.name.count) + member.compressedSize <= limit else { return nil }
        }
        return ZipDirectory(members: members, fileOrder: ordered, bytesRead: Int64(tail.count) + directorySize)
    }

    /// What is wrong with a zip's end: no end-of-central-directory record, or one that places the
    /// central directory where it is not (unzip refuses such a zip; libarchive falls back to
    /// walking the local headers). Nil when the end record and the directory agree. A zip split
    /// over disks is left alone (libarchive cannot read one anyway).
    static func endProblem(fd: Int32, fileSize: Int64) -> String? {
        guard let (tail, end) = endRecord(fd: fd, fileSize: fileSize, commentReachesEnd: false) else {
            return "the zip file has no end-of-central-directory record: it is cut off or damaged at the end"
        }
        let located: DirectoryLocation
        switch locate(fd: fd, fileSize: fileSize, tail: tail, at: end) {
        case .split: return nil
        case .damaged(let why): return why
        case .directory(let found): located = found
        }
        let (count, size, offset, directoryEnd, record) = (located.count, located.size, located.offset, located.directoryEnd, located.record)
        // The directory ends where the record begins. Its offset may be short by the length of
        // data before the zip (a self-extracting stub whose writer did not shift the offsets, as
        // unzip and libarchive allow), never past where it is.
        let start = directoryEnd - size
        guard size >= 0, offset >= 0, start >= 0, offset <= start else {
            return "the \(record) at byte \(directoryEnd) says the central directory is \(size) bytes at byte \(offset), "
                + "which does not fit before the record: the record is damaged"
        }
        if count > 0, FileBytes.read(fd, at: start, count: 4)?.u32(0) != 0x0201_4b50 {
            return "the \(record) at byte \(directoryEnd) says the central directory is \(size) bytes long, "
                + "but no directory starts \(size) bytes before the record: the record or the directory is damaged"
        }
        return nil
    }

    /// Where a zip's end records place its central directory.
    struct DirectoryLocation {
        var count: Int64
        var size: Int64
        var offset: Int64
        /// Where the directory ends: at the zip64 end record, or at the end record.
        var directoryEnd: Int64
        /// The record that says so, for messages.
        var record: String
    }

    enum EndRecords {
        case directory(DirectoryLocation)
        /// A zip split over disks: libarchive cannot read one, and verifyd leaves it alone.
        case split
        case damaged(String)
    }

    /// Reads the end record at `end` in `tail` (the file's last bytes), and the zip64 end record
    /// when a locator stands just before it: that record, between the directory and the
    /// locator, holds the values whether or not the plain record says so. Every value may be
    /// anything in a damaged or hostile zip; the callers compare them without overflowing.
    static func locate(fd: Int32, fileSize: Int64, tail: [UInt8], at end: Int) -> EndRecords {
        let endOffset = fileSize - Int64(tail.count - end)
        guard tail.u16(end + 4) == 0, tail.u16(end + 6) == 0 else { return .split }
        guard end >= 20, tail.u32(end - 20) == 0x0706_4b50 else {
            return .directory(DirectoryLocation(
                count: Int64(tail.u16(end + 10)), size: Int64(tail.u32(end + 12)), offset: Int64(tail.u32(end + 16)),
                directoryEnd: endOffset, record: "end-of-central-directory record"))
        }
        let recordOffset = Int64(bitPattern: tail.u64(end - 20 + 8))
        guard recordOffset >= 0, recordOffset + 56 <= endOffset - 20,
              let record = FileBytes.read(fd, at: recordOffset, count: 56), record.u32(0) == 0x0606_4b50 else {
            return .damaged("the zip64 end-of-central-directory locator at byte \(endOffset - 20) points at no zip64 end record")
        }
        guard record.u32(16) == 0, record.u32(20) == 0 else { return .split }
        return .directory(DirectoryLocation(
            count: Int64(bitPattern: record.u64(32)), size: Int64(bitPattern: record.u64(40)),
            offset: Int64(bitPattern: record.u64(48)), directoryEnd: recordOffset, record: "zip64 end-of-central-directory record"))
    }

    /// The last 64 KiB of the file (at most) and where in them the last end-of-central-directory
    /// signature is; with `commentReachesEnd`, only one whose comment ends where the file does.
    static func endRecord(fd: Int32, fileSize: Int64, commentReachesEnd: Bool) -> (tail: [UInt8], at: Int)? {
        guard fileSize >= 22 else { return nil }
        let tailLength = Int(min(fileSize, 22 + 65_535))
        guard let tail = FileBytes.read(fd, at: fileSize - Int64(tailLength), count: tailLength) else { return nil }
        for start in stride(from: tailLength - 22, through: 0, by: -1) where tail.u32(start) == 0x0605_4b50 {
            if !commentReachesEnd || start + 22 + Int(tail.u16(start + 20)) == tailLength { return (tail, start) }
        }
        return nil
    }

    /// Deflated or stored, not encrypted (traditional or strong), not a patch.
    static func isPlain(_ member: ZipMember) -> Bool {
        guard member.flags & (0x0001 | 0x0020 | 0x0040 | 0x2000) == 0, !member.name.isEmpty else { return false }
        switch member.method {
        case 0: return member.compressedSize == member.size
        case 8: return true
        default: return false
        }
    }

    /// The extra fields hold one with this id (a malformed list: treated as holding it).
    private static func hasField(_ id: UInt16, in extra: ArraySlice<UInt8>) -> Bool {
        var at = extra.startIndex
        while at + 4 <= extra.endIndex {
            let fieldID = UInt16(extra[at]) | UInt16(extra[at + 1]) << 8
            let length = Int(extra[at + 2]) | Int(extra[at + 3]) << 8
            if fieldID == id || at + 4 + length > extra.endIndex { return true }
            at += 4 + length
        }
        return at != extra.endIndex
    }

    /// The zip64 extra field holds, in this order, the fields that read 0xFFFFFFFF.
    private static func applyZip64(_ member: inout ZipMember, extra: ArraySlice<UInt8>) -> Bool {
        let needs = (size: member.size == 0xFFFF_FFFF, compressed: member.compressedSize == 0xFFFF_FFFF,
                     offset: member.localHeaderOffset == 0xFFFF_FFFF)
        guard needs.size || needs.compressed || needs.offset else { return true }
        let fields = Array(extra)
        var at = 0
        while at + 4 <= fields.count {
            let id = fields.u16(at), length = Int(fields.u16(at + 2))
            guard at + 4 + length <= fields.count else { return false }
            if id == 0x0001 {
                var field = at + 4
                func take() -> Int64? {
                    guard field + 8 <= at + 4 + length else { return nil }
                    defer { field += 8 }
                    return Int64(bitPattern: fields.u64(field))
                }
                if needs.size { guard let value = take() else { return false }; member.size = value }
                if needs.compressed { guard let value = take() else { return false }; member.compressedSize = value }
                if needs.offset { guard let value = take() else { return false }; member.localHeaderOffset = value }
                return member.localHeaderOffset >= 0
            }
            at += 4 + length
        }
        return false
    }

    /// What a member's local header says against the central directory.
    enum LocalHeader {
        /// It agrees; the member's data starts here.
        case agrees(dataStart: Int64)
        case disagrees(String)
    }

    /// Reads a member's local header and compares it with the directory: signature, name,
    /// method, encryption and patched-data flags, and with `sums` CRC and sizes when both records hold them (no
    /// data descriptor; a zip64 size of 0xFFFFFFFF is in an extra field). unzip extracts a
    /// member under its directory name, so a name that differs is damage, not a detail.
    static func checkLocalHeader(_ member: ZipMember, fd: Int32, sums: Bool = true) -> LocalHeader {
        let quoted = "\"\(EntryPath(unnormalized: member.name))\""
        guard let header = FileBytes.read(fd, at: member.localHeaderOffset, count: 30 + member.name.count), header.u32(0) == 0x0403_4b50 else {
            return .disagrees("the central directory places member \(quoted) at byte \(member.localHeaderOffset), where there is no local header")
        }
        let name = Array(header[30...].prefix(Int(header.u16(26))))
        guard Int(header.u16(26)) == member.name.count, name == member.name else {
            return .disagrees("the central directory names member \(quoted), its local header at byte \(member.localHeaderOffset) "
                + "names \"\(EntryPath(unnormalized: name))\": unzip would extract it under the first name")
        }
        var differing = [String]()
        if header.u16(8) != member.method { differing.append("compression method \(header.u16(8)) against \(member.method)") }
        // Bits 0 and 6: encrypted, strongly; bit 5: patched data. Python refuses a member
        // whose directory entry says either.
        if header.u16(6) & 0x0061 != member.flags & 0x0061 { differing.append("the flags for encryption or patched data") }
        if sums, header.u16(6) & 0x0008 == 0, member.flags & 0x0008 == 0 {
            if header.u32(14) != member.crc { differing.append("CRC-32 \(header.u32(14).hexWord) against \(member.crc.hexWord)") }
            let compressed = header.u32(18), size = header.u32(22)
            if compressed != 0xFFFF_FFFF, Int64(compressed) != member.compressedSize {
                differing.append("compressed size \(compressed) against \(member.compressedSize)")
            }
            if size != 0xFFFF_FFFF, Int64(size) != member.size { differing.append("size \(size) against \(member.size)") }
        }
        guard differing.isEmpty else {
            return .disagrees("member \(quoted): its local header at byte \(member.localHeaderOffset) and the central directory "
                + "differ in \(differing.joined(separator: ", "))")
        }
        return .agrees(dataStart: member.localHeaderOffset + 30 + Int64(member.name.count) + Int64(header.u16(28)))
    }


    /// The first member whose local header disagrees with the directory in what libarchive does
    /// not compare (name, method, encryption; it checks CRC and sizes of the members it reads),
    /// and how many more do.
    static func headersProblem(_ directory: ZipDirectory, fd: Int32, skipping checked: Set<Int64> = []) -> String? {
        var first: String?
        var more = 0
        for index in directory.fileOrder where !checked.contains(directory.members[index].localHeaderOffset) {
            guard case .disagrees(let why) = checkLocalHeader(directory.members[index], fd: fd, sums: false) else { continue }
            if first == nil { first = why } else { more += 1 }
        }
        guard let first else { return nil }
        return more == 0 ? first : "\(first) (and \(more) more \(more == 1 ? "member" : "members") like it)"
    }
}

extension Array where Element == UInt8 {
    /// Little-endian fields at a byte offset (the caller checks the bounds).
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}
