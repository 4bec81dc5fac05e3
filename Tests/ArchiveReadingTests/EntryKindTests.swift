import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Hard links, sparse files, symlinks and awkward names, through real tools.
@Suite struct EntryKindTests {
    @Test(arguments: ["tar", "cpio-newc", "cpio-odc", "pax", "zip"])
    func hardLinksAreCheckedAgainstTheirData(format: String) throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: temp.file("src"))
        try tree.add("data/original", size: 50_000, seed: 9)
        try tree.hardlink("data/second", to: "data/original")
        try tree.hardlink("third", to: "data/original")
        try tree.add("other", size: 10, seed: 10)
        let out = temp.file("links")
        let command: [String] = switch format {
        case "tar": ["tar", "-cf", out, "."]
        case "cpio-newc": ["bsdtar", "--format=newc", "-cf", out, "."]
        case "cpio-odc": ["bsdtar", "--format=odc", "-cf", out, "."]
        case "pax": ["bsdtar", "--format=pax", "-cf", out, "."]
        default: ["bsdtar", "--format=zip", "-cf", out, "."]
        }
        try Tool.must(command, in: tree.root)
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "m")
        let report = ArchiveVerification.run(VerificationRequest(archivePath: out, manifest: manifest, seed: 1))
        #expect(report.result.verdict == .pass, "\(format): \(report.summary)")
        #expect(report.result.checked == 4)
    }

    @Test func gnuCpioNewcPutsTheDataOnTheLastLink() throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: temp.file("src"))
        try tree.add("a", size: 4_000, seed: 1)
        try tree.hardlink("b", to: "a")
        let out = temp.file("links.cpio")
        try Tool.must(["sh", "-c", "printf 'a\\nb\\n' | cpio -o -H newc > '\(out)' 2>/dev/null"], in: tree.root)
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "m")
        let report = ArchiveVerification.run(VerificationRequest(archivePath: out, manifest: manifest, seed: 1))
        #expect(report.result.verdict == .pass, "\(report.summary)")
    }

    @Test(arguments: ["--format=gnu", "--format=posix"])
    func sparseFilesReadAsTheirFullContent(format: String) throws {
        let temp = TemporaryDirectory()
        let src = temp.file("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try Tool.must(["sh", "-c", "printf start > sparse && truncate -s 8M sparse && printf middle | dd of=sparse bs=1 seek=4000000 conv=notrunc status=none && truncate -s 12M sparse"], in: src)
        let out = temp.file("sparse.tar")
        try Tool.must(["tar", format, "--sparse", "-cf", out, "sparse"], in: src)
        let sums = try Tool.must(["sha256sum", "sparse"], in: src).stdout
        let manifest = try Manifest.parse(Array(sums.utf8), file: "m")
        let report = ArchiveVerification.run(VerificationRequest(archivePath: out, manifest: manifest, seed: 1))
        #expect(report.result.verdict == .pass, "\(report.summary)")
        #expect(report.result.contentBytes == 12 << 20)
        // The archive is small: the holes were not stored.
        let archiveSize = try #require(try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int)
        #expect(archiveSize < 1 << 20)
    }

    @Test func symlinksAreCheckedByTargetWithMtree() throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: temp.file("src"))
        try tree.add("target.txt", size: 100, seed: 2)
        try tree.symlink("link", to: "target.txt")
        try Tool.must(["bsdtar", "--format=mtree", "--options", "mtree:sha256,!md5,!rmd160,!sha1,!flags", "-cf", temp.file("spec.mtree"), "."], in: tree.root)
        try Tool.must(["tar", "-cf", temp.file("good.tar"), "."], in: tree.root)
        let manifest = try Manifest.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.file("spec.mtree")))), file: "spec.mtree")
        let good = ArchiveVerification.run(VerificationRequest(archivePath: temp.file("good.tar"), manifest: manifest, seed: 1))
        #expect(good.result.verdict == .pass, "\(good.summary)")
        // Point the link elsewhere (same mtime and mode) and archive again.
        try FileManager.default.removeItem(atPath: tree.root + "/link")
        try tree.symlink("link", to: "elsewhere")
        try Tool.must(["touch", "-h", "-r", tree.root + "/target.txt", tree.root + "/link"])
        try Tool.must(["tar", "-cf", temp.file("bad.tar"), "."], in: tree.root)
        let bad = ArchiveVerification.run(VerificationRequest(archivePath: temp.file("bad.tar"), manifest: manifest, seed: 1))
        #expect(bad.kinds.contains(.linkMismatch), "\(bad.summary)")
    }

    @Test(arguments: ["tar-posix", "tar-gnu", "zip", "7z", "cpio"])
    func awkwardNames(format: String) throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: temp.file("src"))
        let long = (0..<6).map { "folder-\($0)-" + String(repeating: "x", count: 40) }.joined(separator: "/") + "/file.txt"
        try tree.add("caf\u{e9} nfc.txt", size: 10, seed: 1)
        try tree.add("cafe\u{301} nfd dir/inner.txt", size: 11, seed: 2)
        try tree.add("with space and\\backslash.txt", size: 12, seed: 3)
        try tree.add("new\nline.txt", size: 13, seed: 4)
        try tree.add("日本語/ファイル.txt", size: 14, seed: 5)
        try tree.add(long, size: 15, seed: 6)
        #expect(long.utf8.count > 255)
        let out = temp.file("names")
        let command: [String] = switch format {
        case "tar-posix": ["tar", "--format=posix", "-cf", out, "."]
        case "tar-gnu": ["tar", "--format=gnu", "-cf", out, "."]
        case "zip": ["bsdtar", "--format=zip", "-cf", out, "."]
        case "7z": ["7z", "a", "-bd", "-bso0", out + ".7z", "."]
        default: ["bsdtar", "--format=newc", "-cf", out, "."]
        }
        try Tool.must(command, in: tree.root)
        let path = format == "7z" ? out + ".7z" : out
        let manifestText = tree.sha256Manifest()
        #expect(String(decoding: manifestText, as: UTF8.self).contains("  new\\nline.txt"))
        let manifest = try Manifest.parse(manifestText, file: "m")
        let report = ArchiveVerification.run(VerificationRequest(archivePath: path, manifest: manifest, seed: 1, checkOptions: .init(strict: true)))
        #expect(report.result.verdict == .pass, "\(format): \(report.summary)")
        #expect(report.result.checked == 6)
    }

    @Test func nonUTF8NamesMatchByteForByte() throws {
        let temp = TemporaryDirectory()
        let src = temp.file("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try Tool.must(["sh", "-c", "printf data > \"$(printf 'latin1-\\351t\\351.txt')\" && sha256sum * > ../M && tar --format=gnu -cf ../a.tar ."], in: src)
        let manifest = try Manifest.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: temp.file("M")))), file: "M")
        #expect(manifest.entries[0].path.string == nil)
        let report = ArchiveVerification.run(VerificationRequest(archivePath: temp.file("a.tar"), manifest: manifest, seed: 1, checkOptions: .init(strict: true)))
        #expect(report.result.verdict == .pass, "\(report.summary)")
    }
}
