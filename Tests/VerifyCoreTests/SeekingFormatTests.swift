import Testing
import VerifyCore

/// Formats refused from a stream, told by their first bytes (as they came, not decompressed).
@Suite struct SeekingFormatTests {
    @Test func recognisesByMagicOnly() {
        #expect(SeekingFormat.recognise([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04]) == .sevenZip)
        #expect(SeekingFormat.recognise(Array("PGDMP".utf8) + [1, 14, 0]) == .pgDumpCustom)
        // Shorter than the magic, a gzip, a zip, a tar, nothing: not refused.
        #expect(SeekingFormat.recognise([0x37, 0x7A, 0xBC]) == nil)
        #expect(SeekingFormat.recognise([0x1F, 0x8B, 0x08]) == nil)
        #expect(SeekingFormat.recognise([0x50, 0x4B, 0x03, 0x04]) == nil)
        #expect(SeekingFormat.recognise(Array("etc/passwd".utf8)) == nil)
        #expect(SeekingFormat.recognise([]) == nil)
    }

    @Test func theErrorNamesTheFormatAndTheWayOut() {
        for format in SeekingFormat.allCases {
            #expect(format.streamError.contains(format.rawValue))
            #expect(format.streamError.contains("--spool DIR"))
        }
    }
}
