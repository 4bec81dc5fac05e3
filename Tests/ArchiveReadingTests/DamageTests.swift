import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Real corruptions: flipped bits, damaged trailers, cut-off files, files that are no archive.
@Suite struct DamageTests {
    @Test func flippedByteInMemberDataOfPlainTar() throws {
        let workspace = try Workspace()
        let tar = try workspace.archive("a.tar", ["tar", "-cf", "@OUT", "."])
        let content = workspace.tree.files["home/user/notes with space.txt"]!
        let offset = try #require(try Corruption.offset(of: Array(content.prefix(64)), in: tar))
        try Corruption.flipByte(tar, at: offset + 10, mask: 0x20)
        let report = try workspace.verify(tar, manifest: workspace.manifest())
        #expect(report.kinds == [.contentMismatch])
        #expect(report.result.findings.first?.path?.description == "home/user/notes with space.txt")
        // bsdtar reads it without complaint: only the manifest can tell.
        #expect(try Tool.run(["bsdtar", "-xOf", tar]).status == 0)
    }

    @Test(arguments: [(-8, "CRC-32"), (-2, "ISIZE")])
    func damagedGzipTrailer(offsetFromEnd: Int, words: String) throws {
        let workspace = try Workspace()
        let tgz = try workspace.archive("a.tar.gz", ["tar", "-czf", "@OUT", "."])
        try Corruption.flipByte(tgz, at: offsetFromEnd)
        // libarchive 3.6 does not check the trailer; gzip does.
        #expect(try Tool.run(["bsdtar", "-xOf", tgz]).status == 0)
        #expect(try Tool.run(["gzip", "-t", tgz]).status != 0)
        let report = try workspace.verify(tgz, manifest: workspace.manifest())
        #expect(report.kinds == [.corruptArchive])
        #expect(report.result.findings[0].actual?.contains(words) == true, "\(report.summary)")
        // Every entry was still checked: the data before the trailer was good.
        #expect(report.result.checked == workspace.tree.files.count)
    }

    @Test(arguments: ["a.tar", "a.tar.gz", "a.tar.xz", "a.tar.zst", "a.zip", "a.7z", "a.cpio"])
    func truncationNeverPasses(name: String) throws {
        let workspace = try Workspace()
        let commands: [String: [String]] = [
            "a.tar": ["tar", "-cf", "@OUT", "."], "a.tar.gz": ["tar", "-czf", "@OUT", "."],
            "a.tar.xz": ["tar", "-cJf", "@OUT", "."], "a.tar.zst": ["tar", "--zstd", "-cf", "@OUT", "."],
            "a.zip": ["zip", "-q", "-r", "@OUT", "."], "a.7z": ["7z", "a", "-bd", "-bso0", "@OUT", "."],
            "a.cpio": ["bsdtar", "--format=newc", "-cf", "@OUT", "."],
        ]
        let original = try workspace.archive(name, commands[name]!)
        let size = try Data(contentsOf: URL(fileURLWithPath: original)).count
        // Cut points inside the data and near the end (a tar cut inside its final zero padding
        // still holds every entry whole, as GNU tar agrees, so plain tar stops at 0.9).
        for fraction in name == "a.tar" ? [0.02, 0.3, 0.5, 0.9] : [0.02, 0.3, 0.5, 0.9, 0.999] {
            let cut = workspace.temp.file("cut-\(fraction)-\(name)")
            try FileManager.default.copyItem(atPath: original, toPath: cut)
            try Corruption.truncate(cut, to: Int(Double(size) * fraction))
            let report = try workspace.verify(cut, manifest: workspace.manifest())
            #expect(report.result.verdict == .fail, "\(name) cut at \(fraction): \(report.summary)")
        }
    }

    @Test func emptyAndRandomFilesFail() throws {
        let temp = TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: temp.file("empty.tar"), contents: Data())
        _ = FileManager.default.createFile(atPath: temp.file("noise.tar.gz"), contents: Data(FixtureTree.content(size: 100_000, seed: 5, compressible: false)))
        for name in ["empty.tar", "noise.tar.gz"] {
            let report = ArchiveVerification.run(VerificationRequest(archivePath: temp.file(name), manifest: nil, seed: 1))
            #expect(report.result.verdict == .fail && report.kinds == [.corruptArchive], "\(name): \(report.summary)")
        }
        // An empty gzip stream holds no archive either.
        let empty = try Tool.run(["gzip", "-c"], input: []).stdoutBytes
        try Data(empty).write(to: URL(fileURLWithPath: temp.file("empty.tar.gz")))
        #expect(ArchiveVerification.run(VerificationRequest(archivePath: temp.file("empty.tar.gz"), manifest: nil, seed: 1)).result.verdict == .fail)
    }

    @Test func missingAndUnreadableArchivesAreErrors() throws {
        let temp = TemporaryDirectory()
        let missing = ArchiveVerification.run(VerificationRequest(archivePath: temp.file("nope.tar"), manifest: nil, seed: 1))
        #expect(missing.result.verdict == .error && missing.result.error?.contains("no such file") == true)
        let directory = ArchiveVerification.run(VerificationRequest(archivePath: temp.path, manifest: nil, seed: 1))
        #expect(directory.result.verdict == .error && directory.result.error?.contains("directory") == true)
    }

    @Test func wholeArchiveDigestFromSidecar() throws {
        let workspace = try Workspace()
        let archive = try workspace.archive("a.zip", ["zip", "-q", "-r", "@OUT", "."])
        let hex = String(try Tool.must(["sha256sum", archive]).stdout.prefix(64))
        let good = try #require(Digest(algorithm: .sha256, hex: hex))
        let pass = try workspace.verify(archive, manifest: workspace.manifest(), sample: .count(3), digest: (good, "a.zip.sha256"))
        #expect(pass.result.verdict == .pass && pass.archiveDigestActual == good)
        #expect(pass.bytesRead >= pass.fileSize, "a sampled run still reads every byte for the whole-file digest")
        let other = try #require(Digest(algorithm: .sha256, hex: String(repeating: "0", count: 64)))
        let fail = try workspace.verify(archive, manifest: workspace.manifest(), digest: (other, "a.zip.sha256"))
        #expect(fail.kinds == [.corruptArchive])
    }

    @Test func missingEntryAndWrongSize() throws {
        let workspace = try Workspace()
        let tar = try workspace.archive("a.tar", ["tar", "--exclude=./etc/hosts", "-cf", "@OUT", "."])
        let parsed = try workspace.manifest()
        var entries = Array(parsed.entries)
        let index = entries.firstIndex { $0.path.description == "empty.txt" }!
        entries[index].size = 7
        let manifest = Manifest(format: parsed.format, entries: entries)
        let report = try workspace.verify(tar, manifest: manifest)
        #expect(report.kinds == [.sizeMismatch, .missing])
    }
}
