import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// With two threads a zip's plain members are read by verifyd's own reader (central directory,
/// ISA-L inflate, CRC-32); anything it doubts is read by libarchive. On zips from several
/// producers, good and damaged, the verdict and every finding are the same as libarchive's alone
/// (one thread), and the members read directly are the ones expected.
struct ZipMemberPoolTests {
    enum Direct { case all, some, none }

    /// (name, shell command making @OUT from the tree in src, damage to do after, members read directly)
    static let cases: [(String, String, String?, Direct)] = [
        ("Info-ZIP deflated", "cd src && zip -q -r @OUT .", nil, .all),
        ("Info-ZIP stored", "cd src && zip -q -0 -r @OUT .", nil, .all),
        ("Info-ZIP forced zip64", "cd src && zip -q -fz -r @OUT .", nil, .all),
        ("bsdtar, data descriptors", "cd src && bsdtar --format zip -cf @OUT .", nil, .all),
        ("bsdtar stored, data descriptors", "cd src && bsdtar --format zip --options zip:compression=store -cf @OUT .", nil, .all),
        ("7-Zip", "cd src && 7z a -tzip -bd -bso0 -bsp0 @OUT .", nil, .all),
        ("bzip2 members (libarchive reads them; tiny files are stored)", "cd src && zip -q -Z bzip2 -r @OUT .", nil, .some),
        ("encrypted members (libarchive reports them)", "cd src && zip -q -P secret -r @OUT .", nil, .none),
        ("a stub before the zip (self-extracting)", "cd src && zip -q -r ../plain.zip . && cd .. && (printf 'MZ stub'; cat plain.zip) > @OUT && zip -q -A @OUT", nil, .none),
        ("a byte flipped in a deflated member", "cd src && zip -q -r @OUT .", "flip big/text.txt", .some),
        ("a member's CRC changed in the central directory", "cd src && zip -q -r @OUT .", "crc big/noise.bin", .some),
        ("a member's CRC changed in its local header", "cd src && zip -q -r @OUT .", "localcrc big/noise.bin", .some),
        ("cut before the central directory", "cd src && zip -q -r @OUT .", "cut", .none),
    ]

    @Test(arguments: cases.map(\.0))
    func sameFindingsAsLibarchive(name: String) throws {
        let (_, command, damage, direct) = Self.cases.first { $0.0 == name }!
        let temp = TemporaryDirectory()
        let (tree, archive) = try Self.makeZip(in: temp, smallFiles: 200, command: command, damage: damage)

        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        let one = HashThreadTests.run(archive, manifest, .all, threads: 1)
        let two = HashThreadTests.run(archive, manifest, .all, threads: 2)
        let first = { (report: VerificationReport) in report.result.findings.prefix(3).map { "\($0.kind) \($0.path?.description ?? "-") \($0.actual ?? "")" } }
        if damage == nil && direct != .none {
            #expect(one.report.result.verdict == .pass, "\(name): \(first(one.report))")
        }
        #expect(two.report.result.verdict == one.report.result.verdict, "\(name): \(first(two.report)) / \(first(one.report))")
        // A zip cut before its directory is shared by two libarchive readers (no directory to read
        // members from): where the cut is first noticed may word the archive-level damage apart.
        let perEntry = { (report: VerificationReport) in report.result.findings.filter { $0.path != nil } }
        let archiveLevel = { (report: VerificationReport) in report.result.findings.filter { $0.path == nil } }
        #expect(perEntry(two.report) == perEntry(one.report), "\(name): \(first(two.report)) / \(first(one.report))")
        if damage == "cut" {
            #expect(archiveLevel(two.report).map(\.kind) == archiveLevel(one.report).map(\.kind), "\(name)")
        } else {
            #expect(archiveLevel(two.report) == archiveLevel(one.report), "\(name): \(first(two.report)) / \(first(one.report))")
        }
        #expect(two.report.result.error == one.report.result.error, "\(name)")
        #expect(one.report.membersReadDirectly == 0, "one thread: libarchive alone")
        let files = tree.files.count
        switch direct {
        case .all: #expect(two.report.membersReadDirectly == files, "\(name): \(two.report.membersReadDirectly) of \(files)")
        case .some: #expect((1..<files).contains(two.report.membersReadDirectly), "\(name): \(two.report.membersReadDirectly) of \(files)")
        case .none: #expect(two.report.membersReadDirectly == 0, "\(name): \(two.report.membersReadDirectly)")
        }
        if damage != nil {
            #expect(two.report.result.verdict != .pass, "\(name): the damage is found")
        }
    }

    /// A tree in `src` (small files, a large incompressible and a large text file, an empty
    /// one), zipped into archive.zip by `command` (@OUT: the zip), then damaged as `damage` says.
    static func makeZip(in temp: TemporaryDirectory, smallFiles: Int, command: String, damage: String?) throws -> (FixtureTree, String) {
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        let step = smallFiles > 100 ? 53 : 97
        for index in 0..<smallFiles { try tree.add("small/f\(index).txt", size: index * step % 3_000, seed: UInt64(index)) }
        try tree.add("big/noise.bin", size: 700_000, seed: 5, compressible: false)
        try tree.add("big/text.txt", size: 900_000, seed: 6)
        try tree.add("empty", [])
        let archive = temp.file("archive.zip")
        try Tool.must(["sh", "-c", command.replacingOccurrences(of: "@OUT", with: "'\(archive)'")], in: temp.path)
        if let damage { try Self.damage(archive, damage) }
        return (tree, archive)
    }

    static func damage(_ archive: String, _ how: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
        if how == "cut" {
            try Corruption.truncate(archive, to: bytes.count * 2 / 3)
            return
        }
        let parts = how.split(separator: " ", maxSplits: 1).map(String.init)
        let name = Array(parts[1].utf8)
        // The local header (signature PK\3\4) and the central directory entry (PK\1\2) before the name.
        func headerOffset(signature: [UInt8], nameAt: Int) -> Int? {
            var at = 0
            while let found = Self.find(signature, in: bytes, from: at) {
                if found + nameAt + name.count <= bytes.count, Array(bytes[(found + nameAt)..<(found + nameAt + name.count)]) == name {
                    return found
                }
                at = found + 1
            }
            return nil
        }
        switch parts[0] {
        case "flip":
            let local = try #require(headerOffset(signature: [0x50, 0x4b, 0x03, 0x04], nameAt: 30))
            try Corruption.flipByte(archive, at: local + 30 + name.count + 60_000, mask: 0x55)
        case "crc":
            let central = try #require(headerOffset(signature: [0x50, 0x4b, 0x01, 0x02], nameAt: 46))
            try Corruption.flipByte(archive, at: central + 16, mask: 0x01)
        case "localcrc":
            let local = try #require(headerOffset(signature: [0x50, 0x4b, 0x03, 0x04], nameAt: 30))
            try Corruption.flipByte(archive, at: local + 14, mask: 0x01)
        default:
            Issue.record("unknown damage \(how)")
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}

/// Random damage to a zip's headers and directory: the reader of members never crashes or
/// hangs, and two threads give the verdict and findings one thread (libarchive alone) gives.
struct ZipMemberPoolDamageTests {
    @Test(arguments: ["deflated", "stored", "zip64"])
    func randomDamageToHeadersAndDirectory(kind: String) throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<12 { try tree.add("d/f\(index).txt", size: 500 + index * 700, seed: UInt64(index)) }
        let options = kind == "stored" ? "-0" : kind == "zip64" ? "-fz" : "-6"
        let archive = temp.file("good.zip")
        // Fixed times and no extra fields: the same zip on every run, so the seeded damage hits
        // the same bytes each time and a failure can be replayed.
        try Tool.must(["sh", "-c", "find src -exec touch -h -d @1000000000 {} + && cd src && zip -q -X \(options) -r '\(archive)' ."], in: temp.path)
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        // Headers: every local header and the central directory, where a flip changes sizes,
        // offsets, CRCs, lengths and names rather than data.
        var headerBytes: [Int] = []
        var at = 0
        while let found = ZipMemberPoolTests.find([0x50, 0x4b], in: good, from: at) {
            headerBytes += (found..<min(found + 46, good.count))
            at = found + 2
        }
        var seed = UInt64(kind.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) })
        for round in 0..<100 {
            var bytes = good
            for _ in 0...(round % 3) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let offset = headerBytes[Int(seed >> 33) % headerBytes.count]
                bytes[offset] ^= UInt8(truncatingIfNeeded: seed >> 17) | 1
            }
            let damaged = temp.file("damaged-\(round).zip")
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            let one = HashThreadTests.run(damaged, manifest, .all, threads: 1)
            let two = HashThreadTests.run(damaged, manifest, .all, threads: 2)
            let context = "\(kind) round \(round)"
            #expect(two.report.result.verdict == one.report.result.verdict,
                    "\(context): \(two.report.result.findings.prefix(3)) / \(one.report.result.findings.prefix(3))")
            #expect(two.report.result.findings.filter { $0.path != nil } == one.report.result.findings.filter { $0.path != nil },
                    "\(context): \(two.report.result.findings.prefix(3)) / \(one.report.result.findings.prefix(3))")
        }
    }
}
