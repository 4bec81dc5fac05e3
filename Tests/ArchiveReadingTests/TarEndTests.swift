@testable import ArchiveReading
import Testing

/// `TarEnd` on its own: the stream after the last entry, as bytes, and what it says of it.
struct TarEndTests {
    /// The last entry's data ends at 4,096; the reader stopped `used` bytes later; `after` is the
    /// stream from there to its end. Fed in pieces of `piece` bytes.
    static func end(used: Int64, consumed: [UInt8]? = nil, after: [UInt8], piece: Int = 7) -> TarEnd {
        var end = TarEnd(entriesEnd: 4_096, readerEnd: 4_096 + used, lastEntry: "d/last.bin")
        let stream = (consumed ?? [UInt8](repeating: 0, count: Int(used))) + after
        var at = 0
        while at < stream.count {
            let count = min(piece, stream.count - at)
            stream[at..<(at + count)].withUnsafeBytes { end.observe($0, at: 4_096 + Int64(at)) }
            at += count
        }
        end.streamEnds(at: 4_096 + Int64(stream.count))
        return end
    }

    static func header(named name: String) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        block.replaceSubrange(0..<name.utf8.count, with: name.utf8)
        block.replaceSubrange(100..<107, with: "0000644".utf8)
        block.replaceSubrange(124..<135, with: "00000000000".utf8)
        block.replaceSubrange(257..<263, with: "ustar\0".utf8)
        block[156] = UInt8(ascii: "0")
        block.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
        let sum = block.reduce(0) { $0 + Int($1) }
        block.replaceSubrange(148..<155, with: String(format: "%06o\0", sum).utf8)
        return block
    }

    @Test func aWholeMarkerAndZeroPaddingAreFine() {
        #expect(Self.end(used: 1_024, after: []).problem == nil)
        #expect(Self.end(used: 1_024, after: [UInt8](repeating: 0, count: 9_216)).problem == nil, "padded to a 10 KiB record")
        #expect(Self.end(used: 1_024, after: [UInt8](repeating: 0, count: 300)).problem == nil, "padding cut short")
        #expect(Self.end(used: 1_024, after: [UInt8](repeating: 0, count: 9_216), piece: 4_096).problem == nil)
    }

    @Test func noMarkerAtAll() {
        let end = TarEnd(entriesEnd: 8_192, readerEnd: 8_192, lastEntry: "a b/c.txt")
        #expect(end.problem == "truncated: no end-of-archive marker after entry \"a b/c.txt\" (the tar data ends at byte 8192, where two 512-byte blocks of zeros should follow)")
        // Known from the positions alone: nothing needs to have been seen.
        #expect(TarEnd(entriesEnd: 0, readerEnd: 0, lastEntry: nil).problem?.hasPrefix("truncated: no end-of-archive marker before any entry") == true)
    }

    @Test func aLoneZeroBlockIsTruncation() {
        #expect(Self.end(used: 512, after: []).problem
            == "truncated: a lone zero block after entry \"d/last.bin\": the end-of-archive marker is two 512-byte blocks of zeros, and the tar data ends after the first (at byte 4608)")
        #expect(Self.end(used: 512, after: [UInt8](repeating: 0, count: 100)).problem?.hasSuffix("the tar data ends 100 bytes into the second") == true)
        let followed = Self.end(used: 512, after: Self.header(named: "next/archive.txt") + [UInt8](repeating: 0, count: 1_024)).problem
        #expect(followed?.hasPrefix("truncated: a lone zero block after entry \"d/last.bin\"") == true, "\(followed ?? "nil")")
        #expect(followed?.contains("other data follows the first (1536 bytes, the first non-zero one at byte 4608)") == true, "\(followed ?? "nil")")
        #expect(followed?.contains("it starts with a tar header for \"next/archive.txt\"") == true, "\(followed ?? "nil")")
    }

    @Test func dataAfterTheMarkerIsTrailingData() {
        let junk = [UInt8](repeating: 0, count: 700) + Array("leftover".utf8) + [UInt8](repeating: 0x55, count: 2_000)
        let problem = Self.end(used: 1_024, after: junk).problem
        #expect(problem == "trailing data after the end-of-archive marker: 2708 bytes after byte 5120, the first non-zero one at byte 5820; tar readers stop at the marker and restore none of it")
        // A second archive: its header is recognised (checksum and all), at any alignment of the pieces.
        for piece in [1, 100, 511, 512, 4_096] {
            let appended = Self.end(used: 1_024, after: Self.header(named: "second.txt") + [UInt8](repeating: 0, count: 1_024), piece: piece).problem
            #expect(appended?.hasSuffix("(it starts with a tar header for \"second.txt\": another archive appended, which GNU tar and bsdtar read only with --ignore-zeros)") == true, "\(piece): \(appended ?? "nil")")
        }
        // One flipped byte: no longer a header, still data.
        var damaged = Self.header(named: "second.txt")
        damaged[3] ^= 1
        let notHeader = Self.end(used: 1_024, after: damaged).problem
        #expect(notHeader?.hasPrefix("trailing data") == true && notHeader?.contains("tar header") == false, "\(notHeader ?? "nil")")
    }

    @Test func headersThatNoEntryFollows() {
        // A header that makes no entry of its own (here a pax header and its 512 bytes of
        // records; libarchive reads a pax global header or a GNU volume label so), then the end.
        let pax = Self.header(named: "PaxHeader/x") + Array("30 path=d/a/long/name/indeed\n".utf8) + [UInt8](repeating: 0, count: 483)
        #expect(Self.end(used: 1_024, consumed: pax, after: []).problem
            == "truncated: no end-of-archive marker after entry \"d/last.bin\": the tar data ends at byte 5120, after 1024 bytes of headers that no entry follows (an extended header or a volume label)")
        // Then one zero block: a lone zero block.
        let lone = Self.end(used: 1_536, consumed: pax + [UInt8](repeating: 0, count: 512), after: []).problem
        #expect(lone?.hasPrefix("truncated: a lone zero block after entry \"d/last.bin\" and 1024 bytes of headers that no entry follows") == true, "\(lone ?? "nil")")
        // Then the whole marker: fine (an empty archive with a volume label is one).
        #expect(Self.end(used: 2_048, consumed: pax + [UInt8](repeating: 0, count: 1_024), after: []).problem == nil)
        var label = TarEnd(entriesEnd: 0, readerEnd: 1_536, lastEntry: nil)
        let labelled = Self.header(named: "LABEL") + [UInt8](repeating: 0, count: 1_024 + 9_216)
        labelled.withUnsafeBytes { label.observe($0, at: 0) }
        #expect(label.problem == nil)
    }

    @Test func zerosToldWithoutBytesCountAsZeros() {
        // A sparse file's holes: the marker, padding, then data, told as zeros and bytes.
        var end = TarEnd(entriesEnd: 4_096, readerEnd: 5_120, lastEntry: "x")
        end.observeZeros(1_024 + 1_000_000, at: 4_096)
        #expect(end.problem == nil)
        let junk = [UInt8](repeating: 0x41, count: 10)
        junk.withUnsafeBytes { end.observe($0, at: 4_096 + 1_024 + 1_000_000) }
        #expect(end.problem?.hasPrefix("trailing data after the end-of-archive marker: 1000010 bytes after byte 5120, the first non-zero one at byte 1005120") == true, "\(end.problem ?? "nil")")
        var lone = TarEnd(entriesEnd: 4_096, readerEnd: 4_608, lastEntry: "x")
        lone.observeZeros(512 + 100, at: 4_096)
        #expect(lone.problem?.hasSuffix("the tar data ends 100 bytes into the second") == true)
    }

    @Test func bytesNotSeenClaimNothing() {
        // Where the consumed bytes could not be looked at again, nothing is claimed.
        #expect(TarEnd(entriesEnd: 4_096, readerEnd: 5_120, lastEntry: "x").problem == nil)
        #expect(TarEnd(entriesEnd: 0, readerEnd: 1_536, lastEntry: nil).problem == nil)
        var gap = TarEnd(entriesEnd: 4_096, readerEnd: 5_120, lastEntry: "x")
        let zeros = [UInt8](repeating: 0, count: 2_048)
        zeros.withUnsafeBytes { gap.observe($0, at: 4_608) }
        #expect(gap.hasSeenEnough, "a gap: nothing more to learn")
        #expect(gap.problem == nil)
    }

    @Test func signedChecksumsAndOddFieldsAreHeadersToo() {
        var block = Self.header(named: "é")
        #expect(TarEnd.headerName(block) == "é")
        // The signed sum (old Sun tar): bytes above 0x7f count negative.
        let signed = block.enumerated().reduce(0) { $0 + Int(Int8(bitPattern: (148..<156).contains($1.offset) ? 0x20 : $1.element)) }
        block.replaceSubrange(148..<156, with: String(format: "%06o\0 ", signed).utf8)
        #expect(TarEnd.headerName(block) == "é")
        #expect(TarEnd.headerName([UInt8](repeating: 0, count: 512)) == nil)
        #expect(TarEnd.headerName(Array(Self.header(named: "short").prefix(300))) == nil)
    }
}
