#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// The end of a zip read from a stream by its local headers. libarchive's streaming zip reader
/// stops where the central directory starts and never reads it; these are the bytes from there
/// to the end of the stream, kept as they arrive (up to `limit`), then checked with `ZipCatalog`,
/// the one parser of those records, against the local headers the reader walked:
/// - the end records must be whole and place the directory where the reader stopped;
/// - the directory must list the same members, in the same order, at the offsets where the
///   reader found their local headers (so that no bytes were skipped between members, which
///   the streaming reader would do without a word), with the sizes the headers gave.
/// What this cannot check is said in `notChecked`: the directory's CRC-32s and sizes of members
/// whose local header leaves them to a data descriptor are not compared with the data.
struct ZipStreamEnd: StreamObserver {
    /// Most bytes of directory and end records kept.
    static let limit = 64 << 20

    /// Where each local header was (stream offset), its name and the size it declared.
    var headers: [(name: [UInt8], offset: Int64, size: Int64?)] = []
    /// Where the reader stopped: the directory's first byte, or the end record's.
    private(set) var directoryStart: Int64?
    private var kept: [UInt8] = []
    private var next: Int64 = 0
    /// A piece before the next expected byte was not seen (it had gone by), or too much came.
    private var missed: String?

    /// What a stream's zip end check says.
    enum Verdict: Equatable {
        /// The end records and the directory agree with the local headers; bytes that follow
        /// the end record (and its comment), which zip readers ignore.
        case good(trailing: Int64)
        /// They do not: damage, with where and what.
        case damaged(String)
        /// They could not be checked (why), which the report says.
        case unchecked(String)
    }

    /// The reader stopped at `offset` (the end of the last member).
    mutating func readerStopped(at offset: Int64) {
        directoryStart = offset
        next = offset
    }

    mutating func observe(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        guard missed == nil, directoryStart != nil else { return }
        let end = offset + Int64(bytes.count)
        guard end > next else { return }
        guard offset <= next else {
            missed = "the bytes at the start of the central directory had gone by before they could be kept"
            return
        }
        let fresh = UnsafeRawBufferPointer(rebasing: bytes[Int(next - offset)...])
        guard kept.count + fresh.count <= Self.limit else {
            missed = "the central directory and end records are over \(Self.limit >> 20) MiB: not kept"
            kept = []
            return
        }
        kept.append(contentsOf: fresh)
        next = end
    }

    mutating func observeZeros(_ count: Int64, at offset: Int64) {
        // A stream has no holes; a file is not read through here. Told as damage, never ignored.
        missed = missed ?? "a hole in the stream at byte \(offset)"
    }

    var hasSeenEnough: Bool { missed != nil }

    /// The check, once the stream ended at `streamEnd`.
    func verdict(streamEnd: Int64) -> Verdict {
        guard let directoryStart else { return .unchecked("the zip reader did not say where it stopped") }
        if let missed { return .unchecked(missed) }
        guard directoryStart + Int64(kept.count) == streamEnd else {
            return .unchecked("the bytes after the last member were not all seen")
        }
        // ZipCatalog reads by offset: the kept bytes, placed at their offsets in an unnamed
        // (sparse) file in memory, or else in the temporary folder.
        let fd = Self.unnamedFile()
        guard fd >= 0 else { return .unchecked("no unnamed file for the end records: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(streamEnd)) == 0,
              kept.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, off_t(directoryStart)) }) == kept.count else {
            return .unchecked("no room for the end records in memory: \(String(cString: strerror(errno)))")
        }
        if let problem = ZipCatalog.endProblem(fd: fd, fileSize: streamEnd) { return .damaged(problem) }
        return compare(fd: fd, streamEnd: streamEnd, directoryStart: directoryStart)
    }

    /// The directory against the local headers walked.
    private func compare(fd: Int32, streamEnd: Int64, directoryStart: Int64) -> Verdict {
        if headers.isEmpty {
            // An empty zip: the end record alone, right where the reader stopped.
            return kept.starts(with: [0x50, 0x4b, 0x05, 0x06]) ? .good(trailing: 0)
                : .damaged("the zip has no member, but \(kept.count) bytes follow where its end record should start (byte \(directoryStart))")
        }
        // Bytes after the end record and its comment are ignored by zip readers, as for a file.
        guard let (tail, at) = ZipCatalog.endRecord(fd: fd, fileSize: streamEnd, commentReachesEnd: false) else {
            return .damaged("the zip has no end-of-central-directory record: it is cut off or damaged at the end")
        }
        let zipEnd = streamEnd - Int64(tail.count) + Int64(at + 22 + Int(tail.u16(at + 20)))
        guard zipEnd <= streamEnd else { return .damaged("the end record's comment runs past the end of the stream") }
        guard kept.starts(with: [0x50, 0x4b, 0x01, 0x02]), let directory = ZipCatalog.read(fd: fd, fileSize: zipEnd) else {
            return .damaged("the central directory that should start at byte \(directoryStart), after the last member, is damaged or elsewhere")
        }
        let members = directory.fileOrder.map { directory.members[$0] }
        guard members.count == headers.count else {
            return .damaged("the central directory lists \(members.count) members; the stream held \(headers.count) local headers")
        }
        for (member, header) in zip(members, headers) {
            let name = EntryPath(unnormalized: header.name).description
            if member.name != header.name {
                return .damaged("the central directory names \"\(EntryPath(unnormalized: member.name))\" where the stream's local header at byte \(header.offset) names \"\(name)\"")
            }
            if member.localHeaderOffset != header.offset {
                return .damaged("the central directory places \"\(name)\" at byte \(member.localHeaderOffset); its local header came at byte \(header.offset) of the stream (bytes between members?)")
            }
            if let size = header.size, member.flags & 0x08 == 0, size != member.size {
                return .damaged("the central directory gives \"\(name)\" \(member.size) bytes; its local header \(size)")
            }
        }
        return .good(trailing: streamEnd - zipEnd)
    }

    /// Linux's O_TMPFILE (with O_DIRECTORY), which Glibc's module does not export: a file with
    /// no name, gone when closed.
    private static let unnamedFileFlag: Int32 = 0o20200000

    private static func unnamedFile() -> Int32 {
        let tmp = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        for folder in ["/dev/shm", tmp, "/tmp"] {
            let fd = open(folder, unnamedFileFlag | O_RDWR | O_CLOEXEC, 0o600)
            if fd >= 0 { return fd }
        }
        return -1
    }

    /// What a zip read from a stream leaves unchecked, for the report (always said).
    static let notChecked = "zip read from a stream by its local headers: its central directory and end records were checked "
        + "against them (members, order, offsets, names), but the directory's CRC-32 and sizes were not compared with the "
        + "data of members whose sizes come after their data (data descriptors); --spool DIR reads it as a file"
}
