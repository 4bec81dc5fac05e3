import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A zip from a stream is read by its local headers (libarchive's streaming reader, which never
/// reads the central directory); its central directory and end records are checked against
/// those headers when they arrive (`ZipStreamEnd`). Zips written by `zip -` into a real pipe
/// (data descriptors), then damaged where only the end check can see it, and fed through `cat`.
@Suite struct StreamZipTests {
    let temp = TemporaryDirectory()

    init() throws {
        try Tool.must(["sh", "-c", """
            mkdir src && for i in 1 2 3; do head -c 150000 /dev/urandom > src/f$i; done && seq 1 20000 > src/text && \
            (cd src && sha256sum f1 f2 f3 text) > m.sha256 && (cd src && zip -q - f1 f2 text f3 | cat > ../good.zip)
            """], in: temp.path)
    }

    struct Run {
        var status: Int32
        var json: JSONValue?
        var stdout: String
        var failures: [String] { (json?["failures"]?.arrayValue ?? []).compactMap { $0["actual"]?.stringValue } }
        var warnings: [String] { json?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    }

    /// `cat NAME | verifyctl check - -m m.sha256 --json`, with pipefail.
    func check(_ name: String, threads: Int = 2) throws -> Run {
        let result = try Tool.run(
            ["bash", "-o", "pipefail", "-c", "cat \(name) | '\(Tool.verifyctl)' check - -m m.sha256 --threads \(threads) --json"], in: temp.path)
        return Run(status: result.status, json: try? JSONValue.parse(Array(result.stdout.utf8)), stdout: result.stdout)
    }

    /// The zip's bytes, changed by `change`, written to `name`.
    func variant(_ name: String, _ change: (inout [UInt8]) throws -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.file("good.zip"))))
        try change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: temp.file(name)))
    }

    static func find(_ signature: [UInt8], in bytes: [UInt8], from: Int = 0, last: Bool = false) -> Int? {
        let starts = Array(from...(bytes.count - signature.count))
        let order = last ? starts.reversed() : starts
        return order.first { Array(bytes[$0..<$0 + signature.count]) == signature }
    }

    static let localHeader: [UInt8] = [0x50, 0x4b, 0x03, 0x04]
    static let directory: [UInt8] = [0x50, 0x4b, 0x01, 0x02]
    static let endRecord: [UInt8] = [0x50, 0x4b, 0x05, 0x06]

    @Test(arguments: [1, 2])
    func aGoodZipPassesAndSaysWhatWasNotChecked(threads: Int) throws {
        let run = try check("good.zip", threads: threads)
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.json?["checked"]?.integerValue == 4)
        #expect(run.warnings.contains(ZipStreamText.notChecked), "\(run.stdout)")
    }

    /// Bytes slipped in between two members: libarchive's streaming reader skips them without a
    /// word; the directory's offsets no longer match.
    @Test func bytesBetweenMembersFail() throws {
        try variant("junk.zip") { bytes in
            let second = try #require(Self.find(Self.localHeader, in: bytes, from: 4))
            bytes.insert(contentsOf: Array("JUNKJUNK".utf8), at: second)
        }
        let run = try check("junk.zip")
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.failures.contains { $0.contains("central directory") }, "\(run.stdout)")
    }

    /// The stream cut after the last member's data, inside the directory, and inside the end
    /// record: each is corrupt, and says where.
    @Test func cutsAtTheEndFail() throws {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.file("good.zip"))))
        let directory = try #require(Self.find(Self.directory, in: good))
        let end = try #require(Self.find(Self.endRecord, in: good, last: true))
        for (name, length) in [("cut-members.zip", directory), ("cut-directory.zip", directory + 30), ("cut-end.zip", end + 10)] {
            try variant(name) { $0 = Array($0.prefix(length)) }
            let run = try check(name)
            #expect(run.status == 1, "\(name): \(run.stdout)")
            #expect(run.json?["failures"]?.arrayValue?.first?["kind"]?.stringValue == "corrupt_archive", "\(name): \(run.stdout)")
        }
        // libarchive's own reason here ("Truncated ZIP end-of-file record": f3's data descriptor).
        #expect(try check("cut-members.zip").failures.first?.lowercased().contains("truncated") == true)
    }

    /// A zip written to a file has no data descriptors: cut where its directory starts, the
    /// streaming reader fails without a reason, and the report says what happened.
    @Test func aCutAfterTheLastMemberIsNamed() throws {
        try Tool.must(["sh", "-c", "cd src && zip -q ../file.zip f1 f2"], in: temp.path)
        try variant("cut-file.zip") { bytes in
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.file("file.zip"))))
            bytes = Array(bytes.prefix(try #require(Self.find(Self.directory, in: bytes))))
        }
        let run = try check("cut-file.zip")
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.failures.first?.hasPrefix("truncated: the stream ends at byte ") == true, "\(run.stdout)")
        #expect(run.failures.first?.contains("after member \"f2\"") == true, "\(run.stdout)")
    }

    /// A name changed in the directory only (the local header and the data are intact).
    @Test func aNameThatDiffersInTheDirectoryFails() throws {
        try variant("renamed.zip") { bytes in
            let directory = try #require(Self.find(Self.directory, in: bytes))
            bytes[directory + 46] ^= 0x20  // "f1" -> "F1"
        }
        let run = try check("renamed.zip")
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.failures.contains { $0.contains("names \"F1\" where the stream's local header at byte 0 names \"f1\"") }, "\(run.stdout)")
    }

    /// The end record's entry count raised: it no longer matches the members.
    @Test func anEndRecordThatCountsWrongFails() throws {
        try variant("count.zip") { bytes in
            let end = try #require(Self.find(Self.endRecord, in: bytes, last: true))
            bytes[end + 8] = 5
            bytes[end + 10] = 5
        }
        let run = try check("count.zip")
        #expect(run.status == 1, "\(run.stdout)")
    }

    /// Bytes after the end record pass, as they do in a file, and are said.
    @Test func bytesAfterTheEndRecordAreSaid() throws {
        try variant("trailing.zip") { $0 += Array("tail".utf8) }
        let run = try check("trailing.zip")
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.warnings.contains("4 bytes follow the zip's end record (a file with them passes too)"), "\(run.stdout)")
    }

    /// A flipped byte in a member's deflated data: libarchive's CRC check, as for a file.
    @Test func aFlippedByteInAMemberFails() throws {
        try variant("flipped.zip") { bytes in
            let second = try #require(Self.find(Self.localHeader, in: bytes, from: 4))
            bytes[second + 200] ^= 0x01
        }
        let run = try check("flipped.zip")
        #expect(run.status == 1, "\(run.stdout)")
        #expect(run.json?["failures"]?.arrayValue?.contains { $0["kind"]?.stringValue == "corrupt_archive" } == true, "\(run.stdout)")
    }
}

/// The report's words, as `ZipStreamEnd.notChecked` has them (kept equal by the test above).
enum ZipStreamText {
    static let notChecked = "zip read from a stream by its local headers: its central directory and end records were checked "
        + "against them (members, order, offsets, names), but the directory's CRC-32 and sizes were not compared with the "
        + "data of members whose sizes come after their data (data descriptors); --spool DIR reads it as a file"
}
