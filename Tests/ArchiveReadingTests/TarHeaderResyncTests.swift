@testable import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A tar with a damaged header: the entry behind that header is lost, the archive fails, and
/// every entry after it is still read and checked (as GNU tar and bsdtar go on), with one thread
/// and with two, whatever compresses the tar.
struct TarHeaderResyncTests {
    static let fileCount = 30
    static func name(_ index: Int) -> String { String(format: "d/%02d.bin", index) }

    /// A tar of `fileCount` files in name order (each about 3 KiB: several blocks of data to
    /// step over), with the headers of `damaged` flipped in their name field.
    static func makeTar(_ temp: TemporaryDirectory, format: [String], damaged: [Int]) throws -> (FixtureTree, String) {
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<fileCount {
            try tree.add(name(index), size: 2_500 + index * 61, seed: UInt64(index + 1), compressible: index % 2 == 0)
        }
        let tar = temp.file("a.tar")
        try Tool.must(format + ["-cf", tar, "-C", tree.root] + (0..<fileCount).map { name($0) })
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: tar)))
        for index in damaged {
            // The ustar header holding the name (a pax header before it names the file in a
            // "path=" record, so search for the name at the start of a 512-byte block).
            let needle = Array(name(index).utf8)
            let header = try #require(stride(from: 0, to: bytes.count - 512, by: 512).first {
                Array(bytes[$0..<($0 + needle.count)]) == needle
            })
            bytes[header + 1] ^= 0x04
        }
        try Data(bytes).write(to: URL(fileURLWithPath: tar))
        return (tree, tar)
    }

    static let formats: [(String, [String])] = [
        ("GNU tar", ["tar", "--format=gnu"]), ("ustar (bsdtar)", ["bsdtar", "--format=ustar"]),
        ("bsdtar's default (pax only where needed)", ["bsdtar"]),
    ]

    @Test(arguments: formats.map(\.0), [[12], [29], [5, 6, 20]])
    func theEntriesAfterADamagedHeaderAreStillChecked(format: String, damaged: [Int]) throws {
        let temp = TemporaryDirectory()
        let command = Self.formats.first { $0.0 == format }!.1
        let (tree, tar) = try Self.makeTar(temp, format: command, damaged: damaged)
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        let lost = Set(damaged.map { Self.name($0) })

        var archives = [tar]
        for (suffix, compressor) in [("gz", "gzip"), ("zst", "zstd -q")] {
            try Tool.must(["sh", "-c", "\(compressor) -c a.tar > a.tar.\(suffix)"], in: temp.path)
            archives.append(temp.file("a.tar.\(suffix)"))
        }
        for archive in archives {
            for threads in [1, 2] {
                let run = HashThreadTests.run(archive, manifest, .all, threads: threads)
                let result = run.report.result
                let context = "\(format) \(damaged) \((archive as NSString).lastPathComponent), \(threads) thread(s): \(result.findings.prefix(4))"
                #expect(result.verdict == .fail, "\(context)")
                let archiveLevel = result.findings.filter { $0.path == nil }
                #expect(archiveLevel.count == 1, "\(context)")
                #expect(archiveLevel.first?.actual?.hasPrefix("Damaged tar archive: a damaged header") == true, "\(context)")
                #expect(archiveLevel.first?.actual?.contains("after \"\(Self.name(damaged.first! - 1))\"") == true, "\(context)")
                if damaged == [5, 6, 20] {
                    #expect(archiveLevel.first?.actual?.contains("and 1 more damaged place further on") == true, "\(context)")
                }
                // The entries behind the damaged headers, and nothing else, are not found.
                let perEntry = result.findings.filter { $0.path != nil }
                #expect(Set(perEntry.map { $0.path!.description }) == lost, "\(context)")
                #expect(perEntry.allSatisfy { $0.kind == .missing && $0.actual == "not in the part of the archive that could be read" }, "\(context)")
                #expect(run.entries.filter { !$0.failed }.count == Self.fileCount - lost.count, "\(context)")
            }
        }
    }

    /// Where libarchive cannot step over the damage (the header after a pax extended header, or
    /// the first header, which decides the format), the archive fails and what came before
    /// the damage was still checked: bsdtar stops there too.
    @Test(arguments: [("POSIX pax (GNU tar)", ["tar", "--format=posix"], 12), ("pax (bsdtar)", ["bsdtar", "--format=pax"], 12),
                      ("GNU tar, first header", ["tar", "--format=gnu"], 0)])
    func damageLibarchiveCannotStepOverStillFails(name: String, format: [String], damaged: Int) throws {
        let temp = TemporaryDirectory()
        let (tree, tar) = try Self.makeTar(temp, format: format, damaged: [damaged])
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        for threads in [1, 2] {
            let run = HashThreadTests.run(tar, manifest, .all, threads: threads)
            #expect(run.report.result.verdict == .fail, "\(name)")
            #expect(run.report.result.findings.first?.path == nil && run.report.result.findings.first?.kind == .corruptArchive, "\(name)")
            #expect(run.entries.filter { !$0.failed }.count == damaged, "\(name): the entries before the damage")
        }
    }

    @Test func damageSteppedOverThenACutSaysBoth() throws {
        let temp = TemporaryDirectory()
        let (tree, tar) = try Self.makeTar(temp, format: ["tar"], damaged: [3])
        let size = try Data(contentsOf: URL(fileURLWithPath: tar)).count
        try Corruption.truncate(tar, to: size * 2 / 3)
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        let result = HashThreadTests.run(tar, manifest, .all, threads: 1).report.result
        let archiveLevel = result.findings.filter { $0.path == nil }
        #expect(archiveLevel.count == 1)
        #expect(archiveLevel.first?.actual?.contains("after \"d/02.bin\"") == true, "\(archiveLevel)")
        #expect(archiveLevel.first?.actual?.contains("; then: ") == true, "\(archiveLevel)")
        #expect(result.findings.contains { $0.path?.description == "d/03.bin" && $0.kind == .missing })
        #expect(result.findings.contains { $0.path?.description == "d/04.bin" } == false, "\(result.findings.prefix(3))")
    }

    @Test func theResyncWordsEachPlaceAndNeverLoopsInPlace() {
        var resync = TarHeaderResync()
        var retried: Bool
        #expect(resync.damage == nil)
        retried = resync.shouldRetry(isTar: false, position: 512, message: "Damaged", after: nil)
        #expect(!retried, "only tar steps over headers")
        retried = resync.shouldRetry(isTar: true, position: 1_024, message: "Damaged tar archive", after: "a")
        #expect(retried)
        retried = resync.shouldRetry(isTar: true, position: 1_536, message: "Damaged tar archive", after: "a")
        #expect(retried)
        retried = resync.shouldRetry(isTar: true, position: 1_536, message: "Damaged tar archive", after: "a")
        #expect(!retried, "no progress: stop")
        #expect(resync.damage == "Damaged tar archive: a damaged header after \"a\"; 2 blocks of 512 bytes skipped to the next good header")
        resync.headerRead()
        retried = resync.shouldRetry(isTar: true, position: 9_000, message: "Damaged tar archive", after: "b")
        #expect(retried)
        resync.headerRead()
        retried = resync.shouldRetry(isTar: true, position: 19_000, message: "Damaged tar archive", after: "c")
        #expect(retried)
        #expect(resync.places == 3)
        #expect(resync.damage?.hasSuffix("skipped to the next good header (and 2 more damaged places further on)") == true)
    }
}
