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
        // Other producers than the archivers: Python's zipfile and tarfile, Perl's Archive::Tar.
        ("python-deflated.zip", pythonZip("ZIP_DEFLATED")),
        ("python-bzip2.zip", pythonZip("ZIP_BZIP2")),
        ("python-lzma.zip", pythonZip("ZIP_LZMA")),
        ("python-streamed.zip", ["python3", "-c", """
            import os, sys, zipfile
            class Pipe:  # not seekable: sizes go in data descriptors
                def __init__(self, f): self.f = f
                def write(self, b): return self.f.write(b)
                def flush(self): self.f.flush()
            with open(sys.argv[1], 'wb') as out, zipfile.ZipFile(Pipe(out), 'w', zipfile.ZIP_DEFLATED) as z:
                for root, dirs, files in sorted(os.walk('.')):
                    for name in sorted(files):
                        path = os.path.join(root, name)[2:]
                        with open(path, 'rb') as src, z.open(path, 'w') as dst: dst.write(src.read())
            """, "@OUT"]),
        ("python-pax.tar.xz", ["python3", "-c", "import sys, tarfile; t = tarfile.open(sys.argv[1], 'w:xz', format=tarfile.PAX_FORMAT); t.add('.'); t.close()", "@OUT"]),
        ("python-gnu.tar.bz2", ["python3", "-c", "import sys, tarfile; t = tarfile.open(sys.argv[1], 'w:bz2', format=tarfile.GNU_FORMAT); t.add('.'); t.close()", "@OUT"]),
        ("perl.tar.gz", ["sh", "-c", "find . -type f -print0 | sort -z | xargs -0 ptar -c -z -f \"$0\"", "@OUT"]),
    ]

    static func pythonZip(_ method: String) -> [String] {
        ["python3", "-c", """
            import os, sys, zipfile
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.\(method)) as z:
                for root, dirs, files in sorted(os.walk('.')):
                    for name in sorted(files): z.write(os.path.join(root, name)[2:])
            """, "@OUT"]
    }

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

    /// Python's zipfile writes an empty file with ZIP_LZMA as properties and an end marker;
    /// libarchive fails every such member ("lzma unknown error 10"), so verifyd decodes it
    /// itself. A good one passes with one thread and two; damage in its data still fails.
    @Test func emptyLzmaZipMembersAreCheckedNotFailed() throws {
        let workspace = try Workspace()
        let archive = try workspace.archive("lzma.zip", Self.pythonZip("ZIP_LZMA"))
        let manifest = try workspace.manifest()
        for threads in [1, 2] {
            var request = VerificationRequest(archivePath: archive, manifest: manifest, seed: 1)
            request.threads = threads
            let report = ArchiveVerification.run(request)
            #expect(report.result.verdict == .pass, "\(threads) threads: \(report.summary)")
        }
        // The empty member's LZMA data: flip each byte after the properties (the stream and its
        // end marker), as Python's own reader would refuse it.
        let located = try Tool.must(["python3", "-c", """
            import struct, sys, zipfile
            info = zipfile.ZipFile(sys.argv[1]).getinfo('empty.txt')
            with open(sys.argv[1], 'rb') as f:
                f.seek(info.header_offset); header = f.read(30)
            name, extra = struct.unpack('<HH', header[26:30])
            print(info.header_offset + 30 + name + extra, info.compress_size)
            """, archive]).stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let (start, length) = (located[0], located[1])
        #expect(length > 9)
        let good = try Data(contentsOf: URL(fileURLWithPath: archive))
        for offset in (start + 9)..<(start + length) {
            try good.write(to: URL(fileURLWithPath: archive))
            try Corruption.flipByte(archive, at: offset, mask: 0x40)
            for threads in [1, 2] {
                var request = VerificationRequest(archivePath: archive, manifest: manifest, seed: 1)
                request.threads = threads
                let report = ArchiveVerification.run(request)
                #expect(report.result.verdict == .fail, "byte \(offset - start) of the member, \(threads) threads")
                #expect(report.result.findings.map(\.path) == [EntryPath("empty.txt")], "\(report.summary)")
            }
        }
    }

    @Test func cpioByGNUcpio() throws {
        let workspace = try Workspace()
        let list = try Tool.must(["find", ".", "-print0"], in: workspace.src).stdoutBytes
        let out = workspace.temp.file("gnu.cpio")
        let result = try Tool.run(["sh", "-c", "cpio -o -0 -H newc > '\(out)' 2>/dev/null"], in: workspace.src, input: list)
        #expect(result.status == 0)
        #expect(try workspace.verify(out, manifest: workspace.manifest()).result.verdict == .pass)
    }

    /// GNU cpio's "crc" format keeps a sum of each file's bytes, which libarchive does not
    /// check: verifyd does (a cpio stored as it is), so damage shows without a manifest too.
    @Test func crcCpioChecksumsAreChecked() throws {
        let workspace = try Workspace()
        try Tool.must(["ln", "etc/hosts", "etc/hosts.link"], in: workspace.src)
        let archive = workspace.temp.file("crc.cpio")
        let list = try Tool.must(["find", ".", "-print0"], in: workspace.src).stdoutBytes
        #expect(try Tool.run(["sh", "-c", "cpio -o -0 -H crc > '\(archive)' 2>/dev/null"], in: workspace.src, input: list).status == 0)
        #expect(try workspace.verify(archive, manifest: workspace.manifest()).result.verdict == .pass)
        #expect(try workspace.verify(archive).result.verdict == .pass)
        // A byte of var/log/big.log's data, which is compressible text: its header names it.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
        let name = Array("var/log/big.log".utf8) + [0]  // GNU cpio drops the leading "./"
        guard let header = ZipMemberPoolTests.find(name, in: bytes, from: 0) else {
            Issue.record("var/log/big.log is not in the cpio")
            return
        }
        try Corruption.flipByte(archive, at: header + name.count + 1_000, mask: 0x20)
        let report = try workspace.verify(archive)
        #expect(report.result.verdict == .fail)
        #expect(report.result.findings.map(\.path) == [EntryPath("var/log/big.log")], "\(report.summary)")
        #expect(report.result.findings.first?.actual?.contains("cpio checksum mismatch: the header says 0x") == true, "\(report.summary)")
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
