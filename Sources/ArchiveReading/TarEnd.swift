import VerifyCore

/// How a tar ends. Every tar format (v7, ustar, pax, GNU) ends with its end-of-archive marker:
/// two 512-byte blocks of zeros. libarchive's tar reader also ends, without a word, where the
/// data simply stops at a member boundary, after a lone zero block, or after a pax global
/// header or GNU volume label with nothing behind it (it fails the other extended headers, pax
/// and long names, cut so, itself): that is how the archive of a backup job that died between
/// two members looks once its compressor closed the stream cleanly.
///
/// Fed the stream as the tar reader saw it (decompressed), from where the last entry's data
/// ended (`entriesEnd`, libarchive's header position at its end) past where the reader stopped
/// (`readerEnd`: after 0, 1 or 2 zero blocks) to the end of the stream, it says what is wrong.
/// Zeros after the marker (padding to the record size, whole or cut short) are fine; anything
/// else there is trailing data: tar readers (GNU tar, bsdtar, Python, Go) stop at the marker and
/// never restore it, so it is either another archive appended to this one (visible only to
/// `tar --ignore-zeros`) or bytes left over from an older file written over in place.
struct TarEnd: StreamObserver {
    /// Stream offset where the last entry's data (with its padding) ended.
    let entriesEnd: Int64
    /// Stream offset where libarchive's tar reader stopped.
    let readerEnd: Int64
    /// The name of the last entry read, if any.
    let lastEntry: String?

    /// The last bytes (1,024 at most) the reader consumed after the last entry.
    private var consumed: [UInt8] = []
    /// The next stream offset expected; bytes that do not follow on are not looked at.
    private var next: Int64
    /// The stream was seen without a gap from `entriesEnd` on.
    private var contiguous = true
    private var observed = false
    /// Bytes after `readerEnd`.
    private var tailCount: Int64 = 0
    /// Stream offset of the first non-zero byte after `readerEnd`.
    private var firstNonZero: Int64?
    /// The 512-byte block (counted from `readerEnd`) that holds the first non-zero byte, as far
    /// as it was seen.
    private var firstDataBlock: [UInt8] = []

    init(entriesEnd: Int64, readerEnd: Int64, lastEntry: String?) {
        self.entriesEnd = entriesEnd
        self.readerEnd = readerEnd
        self.lastEntry = lastEntry
        self.next = entriesEnd
    }

    /// Bytes of the stream at `offset`, in order. Bytes before `entriesEnd` are ignored; a gap
    /// makes everything after it unknown.
    mutating func observe(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        guard contiguous, !bytes.isEmpty else { return }
        let end = offset + Int64(bytes.count)
        guard end > next else { return }
        guard offset <= next else {
            contiguous = false
            return
        }
        observed = true
        var rest = UnsafeRawBufferPointer(rebasing: bytes[Int(next - offset)...])
        if next < readerEnd {
            let count = Int(min(Int64(rest.count), readerEnd - next))
            consumed.append(contentsOf: rest.prefix(count).suffix(1_024))
            if consumed.count > 1_024 { consumed.removeFirst(consumed.count - 1_024) }
            rest = UnsafeRawBufferPointer(rebasing: rest[count...])
            next += Int64(count)
        }
        guard !rest.isEmpty else { return }
        if firstNonZero == nil, let index = rest.firstIndex(where: { $0 != 0 }) {
            let at = next + Int64(index)
            firstNonZero = at
            firstDataBlock = [UInt8](repeating: 0, count: Int((at - readerEnd) % 512))
        }
        if let firstNonZero, firstDataBlock.count < 512 {
            let from = max(Int(firstNonZero - next), 0)
            if from < rest.count {
                firstDataBlock.append(contentsOf: rest[from...].prefix(512 - firstDataBlock.count))
            }
        }
        tailCount += Int64(rest.count)
        next += Int64(rest.count)
    }

    /// `count` bytes of zeros at `offset`, as `observe` would take them.
    mutating func observeZeros(_ count: Int64, at offset: Int64) {
        guard contiguous, count > 0 else { return }
        let end = offset + count
        guard end > next else { return }
        guard offset <= next else {
            contiguous = false
            return
        }
        observed = true
        if next < readerEnd {
            let used = min(end, readerEnd) - next
            consumed.append(contentsOf: repeatElement(0, count: Int(min(used, 1_024))))
            if consumed.count > 1_024 { consumed.removeFirst(consumed.count - 1_024) }
            next += used
        }
        guard end > next else { return }
        if firstNonZero != nil, firstDataBlock.count < 512 {
            firstDataBlock.append(contentsOf: repeatElement(0, count: Int(min(end - next, Int64(512 - firstDataBlock.count)))))
        }
        tailCount += end - next
        next = end
    }

    /// Nothing more is to be learnt from the bytes that follow, but how many there are.
    var hasSeenEnough: Bool {
        !contiguous || firstNonZero != nil && firstDataBlock.count >= 512
    }

    /// The stream ends at `offset` (told when the bytes up to it were not all observed).
    mutating func streamEnds(at offset: Int64) {
        guard contiguous, observed, next >= readerEnd, offset > next else { return }
        tailCount += offset - next
        next = offset
    }

    /// What is wrong with the end, if anything.
    ///
    /// libarchive consumes, after the last entry, the end-of-archive marker's zero blocks as far
    /// as they go (none, one or two), and before them any header that makes no entry of its own
    /// where nothing follows it (a pax global header, a GNU volume label): two zero blocks at the
    /// end of what it consumed are the marker, one is a lone zero block, none is no marker.
    var problem: String? {
        let after = lastEntry.map { "after entry \"\($0)\"" } ?? "before any entry"
        let used = readerEnd - entriesEnd
        let noMarker = "truncated: no end-of-archive marker \(after)"
        if used <= 0 {
            return noMarker + " (the tar data ends at byte \(entriesEnd), where two 512-byte blocks of zeros should follow)"
        }
        // The bytes could not be looked at again: nothing is claimed.
        guard observed, contiguous, next >= readerEnd else { return nil }
        var zeroBlocks = 0
        while zeroBlocks < 2, used >= 512 * Int64(zeroBlocks + 1) {
            let end = consumed.count - 512 * zeroBlocks
            guard end >= 512, consumed[(end - 512)..<end].allSatisfy({ $0 == 0 }) else { break }
            zeroBlocks += 1
        }
        let headers = used - 512 * Int64(zeroBlocks)
        let headerNote = "\(headers) bytes of headers that no entry follows (an extended header or a volume label)"
        switch zeroBlocks {
        case 0:
            return noMarker + ": the tar data ends at byte \(readerEnd), after \(headerNote)"
        case 1:
            var text = "truncated: a lone zero block \(after)\(headers > 0 ? " and " + headerNote : ""): the end-of-archive marker is two 512-byte blocks of zeros, and "
            if let firstNonZero {
                text += "other data follows the first (\(tailCount) bytes, the first non-zero one at byte \(firstNonZero))"
                text += headerHint
            } else if tailCount > 0 {
                text += "the tar data ends \(tailCount) bytes into the second"
            } else {
                text += "the tar data ends after the first (at byte \(readerEnd))"
            }
            return text
        default:
            guard let firstNonZero else { return nil }
            return "trailing data after the end-of-archive marker: \(tailCount) bytes after byte \(readerEnd), the first non-zero one at byte \(firstNonZero);"
                + " tar readers stop at the marker and restore none of it" + headerHint
        }
    }

    /// When the first data after the zeros is a tar header: its name, and what that means.
    private var headerHint: String {
        guard let name = TarEnd.headerName(firstDataBlock) else { return "" }
        return " (it starts with a tar header for \"\(name)\": another archive appended, which GNU tar and bsdtar read only with --ignore-zeros)"
    }

    /// The name in a 512-byte tar header whose checksum is right; nil for anything else.
    static func headerName(_ block: [UInt8]) -> String? {
        guard block.count == 512 else { return nil }
        let digits = block[148..<156].drop { $0 == 0x20 }.prefix { (0x30...0x37).contains($0) }
        guard !digits.isEmpty, let stored = Int(String(decoding: digits, as: UTF8.self), radix: 8) else { return nil }
        var unsigned = 0
        var signed = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? 0x20 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        guard stored == unsigned || stored == signed else { return nil }
        let name = Array(block[0..<100].prefix { $0 != 0 })
        return EntryPath(unnormalized: name).description
    }
}
