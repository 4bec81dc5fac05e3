import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Every format and filter, made by the tools a backup host uses, verified against the same
/// manifest.
@Suite struct FormatMatrixTests {
    static let producers: [(name: String, command: [String])] = [
        ("gnu.tar", ["tar", "--format=gnu", "-cf", "@OUT", "."]),
        ("posix.tar", ["tar", "--format=posix", "-cf", "@OUT", "."]),
        ("ustar.tar", ["bsdtar", "--format=ustar", "-cf", "@OUT", "."]),
        ("v7.tar", ["tar", "--format=v7", "-cf", "@OUT", "."]),
        ("gnu.tar.gz", ["tar", "-czf", "@OUT", "."]),
        ("gnu.tar.bz2", ["tar", "-cjf", "@OUT", "."]),
        ("gnu.tar.xz", ["tar", "-cJf", "@OUT", "."]),
        ("gnu.tar.zst", ["tar", "--zstd", "-cf", "@OUT", "."]),
        ("gnu.tar.lz4", ["tar", "-I", "lz4", "-cf", "@OUT", "."]),
        ("gnu.tar.lzip", ["tar", "--lzip", "-cf", "@OUT", "."]),
        ("gnu.tar.lzo", ["tar", "--lzop", "-cf", "@OUT", "."]),
        ("bsd.pax.tgz", ["bsdtar", "--format=pax", "-czf", "@OUT", "."]),
        ("bsd.cpio", ["bsdtar", "--format=newc", "-cf", "@OUT", "."]),
        ("odc.cpio.gz", ["bsdtar", "--format=odc", "-czf", "@OUT", "."]),
        ("bsd.zip", ["bsdtar", "--format=zip", "-cf", "@OUT", "."]),
        ("bsd.7z", ["bsdtar", "--format=7zip", "-cf", "@OUT", "."]),
        ("bsd.xar", ["bsdtar", "--format=xar", "-cf", "@OUT", "."]),
        ("bsd.iso", ["bsdtar", "--format=iso9660", "--options", "rockridge", "-cf", "@OUT", "."]),
        ("infozip.zip", ["zip", "-q", "-r", "@OUT", "."]),
        ("stored.zip", ["zip", "-q", "-0", "-r", "@OUT", "."]),
        ("p7zip.7z", ["7z", "a", "-bd", "-bso0", "@OUT", "."]),
        ("solid-lzma.7z", ["7z", "a", "-bd", "-bso0", "-m0=lzma", "-ms=on", "@OUT", "."]),
    ]

    @Test(arguments: producers.map(\.name))
    func passesWithTheManifest(name: String) throws {
        let producer = Self.producers.first { $0.name == name }!
        let workspace = try Workspace()
        let archive = try workspace.archive(name, producer.command)
        let report = try workspace.verify(archive, manifest: workspace.manifest())
        #expect(report.result.verdict == .pass, "\(name): \(report.summary)")
        #expect(report.result.checked == workspace.tree.files.count)
        // Integrity only, without a manifest, passes too.
        #expect(try workspace.verify(archive).result.verdict == .pass)
    }

    @Test func cpioByGNUcpio() throws {
        let workspace = try Workspace()
        let list = try Tool.must(["find", ".", "-print0"], in: workspace.src).stdoutBytes
        let out = workspace.temp.file("gnu.cpio")
        let result = try Tool.run(["sh", "-c", "cpio -o -0 -H newc > '\(out)' 2>/dev/null"], in: workspace.src, input: list)
        #expect(result.status == 0)
        #expect(try workspace.verify(out, manifest: workspace.manifest()).result.verdict == .pass)
    }

    @Test func arArchive() throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: temp.file("src"))
        try tree.add("one.o", size: 1000, seed: 3)
        try tree.add("two.o", size: 3000, seed: 4, compressible: false)
        try Tool.must(["ar", "rc", temp.file("lib.a"), "one.o", "two.o"], in: tree.root)
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "m")
        let report = ArchiveVerification.run(VerificationRequest(archivePath: temp.file("lib.a"), manifest: manifest, seed: 1))
        #expect(report.result.verdict == .pass, "\(report.summary)")
    }

    @Test func multiMemberGzipIsReadToTheEnd() throws {
        let workspace = try Workspace()
        let tar = try workspace.archive("a.tar", ["tar", "-cf", "@OUT", "."])
        let data = try Data(contentsOf: URL(fileURLWithPath: tar))
        let half = data.count / 2
        let first = try Tool.run(["gzip", "-c"], input: [UInt8](data.prefix(half))).stdoutBytes
        let second = try Tool.run(["gzip", "-c"], input: [UInt8](data.dropFirst(half))).stdoutBytes
        let out = workspace.temp.file("multi.tar.gz")
        try Data(first + second).write(to: URL(fileURLWithPath: out))
        #expect(try Tool.run(["gzip", "-t", out]).status == 0)
        let report = try workspace.verify(out, manifest: workspace.manifest())
        #expect(report.result.verdict == .pass, "\(report.summary)")
        // Damage in the second member's trailer is found although tar's data ended earlier.
        try Corruption.flipByte(out, at: -3)
        #expect(try workspace.verify(out, manifest: workspace.manifest()).kinds == [.corruptArchive])
    }
}
