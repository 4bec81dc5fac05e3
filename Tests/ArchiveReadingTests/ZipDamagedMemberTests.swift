import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Zip members are independent: damage in one member's data is that member's finding, and every
/// other member is still read and checked, whether libarchive reads them all (one thread), the
/// ISA-L workers do (two), or a sample is taken from the central directory. libarchive's zip
/// reader refuses to go on after bad deflate data; the reader opens it again past the member.
struct ZipDamagedMemberTests {
    static let memberCount = 40

    /// A zip of `count` deflated text members (no extra fields), and the offset of each
    /// member's compressed data, by name.
    static func makeZip(_ temp: TemporaryDirectory, count: Int = memberCount, options: String = "-6")
        throws -> (FixtureTree, String, [String: Int])
    {
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<count {
            try tree.add(String(format: "m/%03d.txt", index), size: 4_000 + index * 97, seed: UInt64(index + 1))
        }
        let archive = temp.file("a.zip")
        try Tool.must(["sh", "-c", "find src -exec touch -h -d @1000000000 {} + && cd src && zip -q -X \(options) -r '\(archive)' m"],
                      in: temp.path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
        var dataOffsets: [String: Int] = [:]
        var at = 0
        while let local = ZipMemberPoolTests.find([0x50, 0x4b, 0x03, 0x04], in: bytes, from: at), local + 30 <= bytes.count {
            let nameLength = Int(bytes[local + 26]) | Int(bytes[local + 27]) << 8
            let extraLength = Int(bytes[local + 28]) | Int(bytes[local + 29]) << 8
            let name = String(decoding: bytes[(local + 30)..<(local + 30 + nameLength)], as: UTF8.self)
            dataOffsets[name] = local + 30 + nameLength + extraLength
            at = local + 4
        }
        return (tree, archive, dataOffsets)
    }

    static func name(_ index: Int) -> String { String(format: "m/%03d.txt", index) }

    @Test(arguments: [[0], [17], [39], [3, 4, 30]])
    func onlyTheDamagedMembersHaveFindings(damaged: [Int]) throws {
        let temp = TemporaryDirectory()
        let (tree, archive, dataOffsets) = try Self.makeZip(temp)
        for index in damaged {
            // Early in the deflate stream: its block header and code tables, so inflating fails.
            try Corruption.flipByte(archive, at: try #require(dataOffsets[Self.name(index)]) + 3, mask: 0xa5)
        }
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        let expected = damaged.map { Self.name($0) }
        for threads in [1, 2] {
            let run = HashThreadTests.run(archive, manifest, .all, threads: threads)
            let result = run.report.result
            let context = "\(damaged) with \(threads) thread(s): \(result.findings.prefix(4))"
            #expect(result.verdict == .fail, "\(context)")
            #expect(result.findings.map { $0.path?.description ?? "-" } == expected, "\(context)")
            #expect(result.findings.allSatisfy { $0.kind == .corruptArchive }, "\(context)")
            #expect(result.checked == Self.memberCount, "\(context)")
            #expect(run.entries.filter { !$0.failed }.count == Self.memberCount - damaged.count, "\(context)")
        }
        // A sample holding a damaged member and others after it: the same, from the directory.
        let sampled = HashThreadTests.run(archive, manifest, .percent(60), threads: 2)
        #expect(sampled.report.entriesFromZipDirectory)
        let flags = try #require(sampled.report.sample)
        let expectedInSample = damaged.filter { flags[manifest.entries.firstIndex(of: EntryPath(Self.name($0)))!] }.map { Self.name($0) }
        #expect(sampled.report.result.findings.map { $0.path?.description ?? "-" } == expectedInSample)
    }

    /// Past 64 damaged members the reader stops: each one walks every header before it again.
    @Test func aZipDamagedInVeryManyMembersIsGivenUpOnAndSaysWhy() throws {
        let temp = TemporaryDirectory()
        let (tree, archive, dataOffsets) = try Self.makeZip(temp, count: 80)
        for index in 0..<75 {
            try Corruption.flipByte(archive, at: try #require(dataOffsets[Self.name(index)]) + 3, mask: 0xa5)
        }
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        let one = HashThreadTests.run(archive, manifest, .all, threads: 1)
        #expect(one.report.result.verdict == .fail)
        let archiveLevel = one.report.result.findings.filter { $0.path == nil }
        #expect(archiveLevel.count == 1 && archiveLevel[0].actual?.contains("65 members were damaged") == true, "\(archiveLevel)")
        #expect(one.report.result.findings.filter { $0.kind == .corruptArchive && $0.path != nil }.count == 65)
        let two = HashThreadTests.run(archive, manifest, .all, threads: 2)
        #expect(two.report.result.verdict == .fail)
    }
}
