import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A zip's end-of-central-directory record must place the directory where it is. libarchive
/// reads a zip whose record is damaged by walking its local headers, and passes it; unzip
/// refuses it. verifyd reports the damage, and still accepts what unzip and libarchive accept:
/// data before the zip (a self-extracting stub, offsets shifted or not), a comment, zip64.
/// The same for a directory that names a member otherwise than its local header does.
struct ZipEndRecordTests {
    /// (name, Python lines turning the bytes `b` of a good zip into `out`, fails, words)
    static let cases: [(String, String, Bool, String?)] = [
        ("good", "out = b", false, nil),
        ("directory offset 3 bytes too far", "out = field(b, 16, 3)", true, "does not fit before the record"),
        ("directory size 7 bytes too large", "out = field(b, 12, 7)", true, "does not fit before the record"),
        // libarchive finds these itself ("Damaged Zip archive").
        ("directory size 46 bytes too small", "out = field(b, 12, -46)", true, nil),
        ("directory size 46 bytes too small, offset to match", "out = field(field(b, 12, -46), 16, 46)", true, nil),
        ("data before the zip, offsets not shifted", "out = b'MZ self-extractor stub' * 40 + b", false, nil),
        ("a comment", "out = b[:-2] + struct.pack('<H', 9) + b'a comment'", false, nil),
        ("no end record", "out = b[:b.rfind(b'PK\\x05\\x06')]", true, "no end-of-central-directory record"),
        // The directory and a local header disagree where libarchive does not compare them:
        // unzip and Python extract by the directory.
        ("the directory names a member otherwise", "i = b.rfind(b'f2.txt'); out = b[:i] + b'f2/txt' + b[i + 6:]", true,
         "the central directory names member \"f2/txt\", its local header at byte"),
        ("the directory gives a member another method",
         "i = b.find(b'PK\\x01\\x02'); out = b[:i + 10] + struct.pack('<H', 12) + b[i + 12:]", true, "differ in compression method 8 against 12"),
        ("the directory marks a member as patched data",
         "i = b.find(b'PK\\x01\\x02'); out = b[:i + 8] + bytes([b[i + 8] ^ 0x20]) + b[i + 9:]", true, "differ in the flags for encryption or patched data"),
    ]

    @Test(arguments: cases.map(\.0))
    func theEndRecordIsChecked(name: String) throws {
        let (_, transform, fails, words) = Self.cases.first { $0.0 == name }!
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<5 { try tree.add("f\(index).txt", size: 3_000 + index * 500, seed: UInt64(index + 1)) }
        try Tool.must(["sh", "-c", "cd src && zip -q -r ../good.zip ."], in: temp.path)
        let script = """
            import struct, sys
            b = open('good.zip', 'rb').read()
            def field(b, at, delta):
                i = b.rfind(b'PK\\x05\\x06')
                v = struct.unpack('<I', b[i + at:i + at + 4])[0] + delta
                return b[:i + at] + struct.pack('<I', v) + b[i + at + 4:]
            \(transform)
            open('archive.zip', 'wb').write(out)
            """
        try Tool.must(["python3", "-c", script], in: temp.path)
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        for threads in [1, 2] {
            let result = HashThreadTests.run(temp.file("archive.zip"), manifest, .all, threads: threads).report.result
            #expect(result.verdict == (fails ? .fail : .pass), "\(name), \(threads) thread(s): \(result.findings.prefix(2))")
            if let words {
                #expect(result.findings.first { $0.path == nil }?.actual?.contains(words) == true, "\(name): \(result.findings.prefix(2))")
            }
        }
    }
}
