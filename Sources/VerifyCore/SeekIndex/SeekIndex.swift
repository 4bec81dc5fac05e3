/// Where each entry of one archive starts, recorded on a complete sequential read so that a
/// later sampled run can go straight to the entries it samples.
///
/// Only the positions are trusted to save time: whatever is read through an index is checked
/// against it as it is read (`SeekIndex.Entry.matches`), and the archive must still have the
/// ``Identity`` it had when the index was made. A wrong index costs a sequential read, never a
/// pass. The file format is in `SeekIndex+Coding.swift`.
public struct SeekIndex: Sendable, Equatable {
    /// What the index can seek in.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// An uncompressed tar: entry header offsets in the file itself.
        case plainTar = 1
        /// A tar inside gzip (one member or several): entry offsets in the decompressed stream,
        /// and ``Checkpoint``s to start inflating from.
        case gzipTar = 2
        /// A tar inside zstd of several frames (pzstd, or frames joined): entry offsets in the
        /// decompressed stream, and frame starts as ``Checkpoint``s (`SeekIndex+Frames.swift`).
        case zstdTar = 3
        /// A tar inside xz of several blocks (`xz -T0`, pixz): entry offsets in the decompressed
        /// stream, and block starts as ``Checkpoint``s (`SeekIndex+Frames.swift`).
        case xzTar = 4
    }

    /// One entry of the archive, in archive order.
    public struct Entry: Sendable, Equatable {
        /// Where the entry's first header block starts (extension headers included).
        public var headerOffset: Int64
        /// Where its data starts, after every header block of the entry.
        public var dataOffset: Int64
        public var type: EntryType
        /// The size the header declares (nil when it declares none).
        public var size: Int64?
        /// The entry's name as the archive stores it.
        public var rawPath: [UInt8]
        /// For a hard link: the name it links to.
        public var hardlinkTarget: [UInt8]?

        public init(headerOffset: Int64, dataOffset: Int64, type: EntryType, size: Int64?, rawPath: [UInt8], hardlinkTarget: [UInt8]? = nil) {
            self.headerOffset = headerOffset
            self.dataOffset = dataOffset
            self.type = type
            self.size = size
            self.rawPath = rawPath
            self.hardlinkTarget = hardlinkTarget
        }

        /// The header as far as the index knows it: enough for a check to decide that the
        /// entry is not wanted (its name, type and size).
        public var header: EntryHeader {
            EntryHeader(rawPath: rawPath, type: type, size: size, hardlinkTarget: hardlinkTarget)
        }

        /// Why the header read at this entry's position is not the entry the index names, or
        /// nil when it is. `dataOffset`: where the reader found the entry's data to start.
        public func mismatch(with header: EntryHeader, dataOffset found: Int64) -> String? {
            let name = EntryPath(unnormalized: rawPath).description
            if header.rawPath != rawPath {
                return "the index names \(name) at offset \(headerOffset), the archive has \(EntryPath(unnormalized: header.rawPath).description) there"
            }
            if header.type != type { return "\(name) at offset \(headerOffset): the index says \(type.rawValue), the header says \(header.type.rawValue)" }
            if header.size != size {
                return "\(name) at offset \(headerOffset): the index says \(size.map { "\($0)" } ?? "no") bytes, the header says \(header.size.map { "\($0)" } ?? "no size")"
            }
            if header.hardlinkTarget != hardlinkTarget { return "\(name) at offset \(headerOffset): the hard-link target differs from the index" }
            if found != dataOffset { return "\(name) at offset \(headerOffset): its data starts at \(found), the index says \(dataOffset)" }
            return nil
        }
    }

    public var kind: Kind
    /// The archive this index describes; it is used only for a file that still has it.
    public var identity: ArchiveIdentity
    /// The reader's name of the format (e.g. "GNU tar format"), reported as a sequential read would.
    public var formatName: String
    public var entries: [Entry]
    /// For `.gzipTar`: where inflating may start, first the file's start (empty otherwise).
    public var checkpoints: [Checkpoint]
    /// For `.gzipTar`: the length of the decompressed stream (0 otherwise).
    public var decodedSize: Int64

    public init(
        kind: Kind, identity: ArchiveIdentity, formatName: String, entries: [Entry], checkpoints: [Checkpoint] = [],
        decodedSize: Int64 = 0
    ) {
        self.kind = kind
        self.identity = identity
        self.formatName = formatName
        self.entries = entries
        self.checkpoints = checkpoints
        self.decodedSize = decodedSize
    }

    /// The runs of consecutive `true` flags, as index ranges in order: each run of needed
    /// entries is read by one reader opened at its first entry's header.
    public static func runs(_ needed: [Bool]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start: Int?
        for (i, flag) in needed.enumerated() {
            if flag, start == nil { start = i }
            if !flag, let s = start {
                runs.append(s..<i)
                start = nil
            }
        }
        if let start { runs.append(start..<needed.count) }
        return runs
    }
}
