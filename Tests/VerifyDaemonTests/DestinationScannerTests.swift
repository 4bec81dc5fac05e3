import Foundation
import Testing
import VerifyTestSupport
@testable import VerifyDaemon

/// The scanner on real folders laid out as a hostile writer would: symlink loops, links out of
/// the destination, FIFOs, too many files, names with control characters or not UTF-8.
struct DestinationScannerTests {
    func destination(_ path: String, follow: Bool = false, limit: Int = 100_000) -> DestinationConfiguration {
        var destination = DestinationConfiguration(name: "d", path: path)
        destination.followSymlinks = follow
        destination.maxScanEntries = limit
        return destination
    }

    func touch(_ path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
    }

    func link(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: name, withDestinationPath: target)
    }

    func result(_ outcome: ScanOutcome) throws -> (archives: [String], folders: [String], notes: ScanNotes) {
        guard case .found(let archives, let folders, let notes) = outcome else {
            throw ToolError(description: "scan failed: \(outcome)")
        }
        return (archives.map(\.path).sorted(), folders, notes)
    }

    @Test func symlinkedFoldersAreNeverFollowedSoLoopsCannotMultiplyArchives() throws {
        let work = TemporaryDirectory()
        let root = work.file("dest")
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        touch(root + "/a.tar")
        touch(root + "/sub/b.tar")
        // Three `ln -s . lN` made one archive into 3,280 before; a link up and one out too.
        for n in 1...10 { try link(root + "/l\(n)", to: ".") }
        try link(root + "/sub/up", to: "..")
        try link(root + "/out", to: "/")
        for follow in [false, true] {
            let scan = try result(DestinationScanner.scan(destination(root, follow: follow)))
            #expect(scan.archives == [root + "/a.tar", root + "/sub/b.tar"])
            #expect(scan.folders == [root, root + "/sub"])
            #expect(scan.notes.entriesVisited == 15)
            #expect(scan.notes.limitReached == nil)
        }
    }

    @Test func aSymlinkedArchiveCountsOnlyWithFollowSymlinksAndOnlyInsideTheDestination() throws {
        let work = TemporaryDirectory()
        let root = work.file("dest"), outside = work.file("outside")
        for folder in [root + "/data", outside] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        touch(root + "/data/blob")
        touch(root + "/real.tar")
        touch(outside + "/secret.tar")
        try link(root + "/latest.tar", to: "data/blob")
        try link(root + "/again.tar", to: root + "/real.tar")
        try link(root + "/escape.tar", to: outside + "/secret.tar")
        try link(root + "/sneaky.tar", to: "data/../../outside/secret.tar")
        try link(root + "/dangling.tar", to: "nothing-here")
        try link(root + "/folder.tar", to: "data")
        try Tool.must(["mkfifo", root + "/data/pipe"])
        try link(root + "/pipe.tar", to: "data/pipe")

        let off = try result(DestinationScanner.scan(destination(root)))
        #expect(off.archives == [root + "/real.tar"])
        #expect(off.notes.skippedCount == 7)
        #expect(off.notes.skipped.allSatisfy { $0.reason == .symlink })

        let on = try result(DestinationScanner.scan(destination(root, follow: true)))
        #expect(on.archives == [root + "/data/blob", root + "/real.tar"], "the target, by its path in the destination, once")
        let reasons = Dictionary(on.notes.skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) }) { a, _ in a }
        #expect(reasons == [
            "escape.tar": .linkLeavesDestination, "sneaky.tar": .linkLeavesDestination, "dangling.tar": .linkLeavesDestination,
            "folder.tar": .linkNotToFile, "pipe.tar": .linkNotToFile,
        ])
    }

    @Test func theDestinationMayItselfBeReachedThroughASymlink() throws {
        let work = TemporaryDirectory()
        let real = work.file("real")
        try FileManager.default.createDirectory(atPath: real + "/data", withIntermediateDirectories: true)
        touch(real + "/data/blob")
        try link(real + "/latest.tar", to: "data/blob")
        try link(work.file("alias"), to: real)
        let scan = try result(DestinationScanner.scan(destination(work.file("alias"), follow: true)))
        #expect(scan.archives == [work.file("alias") + "/data/blob"])
    }

    @Test func aScanStopsAtItsEntryLimit() throws {
        let work = TemporaryDirectory()
        let root = work.file("dest")
        try FileManager.default.createDirectory(atPath: root + "/deep", withIntermediateDirectories: true)
        for n in 0..<150 { touch(root + "/f\(n).tar") }
        for n in 0..<150 { touch(root + "/deep/g\(n).tar") }
        let limited = try result(DestinationScanner.scan(destination(root, limit: 100)))
        #expect(limited.notes.limitReached == 100)
        #expect(limited.notes.entriesVisited == 101)
        #expect(limited.archives.count <= 100)
        let whole = try result(DestinationScanner.scan(destination(root, limit: 1000)))
        #expect(whole.notes.limitReached == nil)
        #expect(whole.archives.count == 300)
    }

    @Test func oddNamesAndOddFilesDoNotBreakTheScan() throws {
        let work = TemporaryDirectory()
        let root = work.file("dest")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let control = "x\nReply-To: evil@example.com\n\u{1B}[2J\t\u{7F}.tar"
        touch(root + "/" + control)
        let long = String(repeating: "n", count: 251) + ".tar"  // NAME_MAX (255 bytes)
        touch(root + "/" + long)
        let nonASCII = "sauvegarde-été-日本.tar"
        touch(root + "/" + nonASCII)
        try Tool.must(["mkfifo", root + "/fifo.tar"])
        try Tool.must(["python3", "-c", "import socket; s = socket.socket(socket.AF_UNIX); s.bind('\(root)/socket.tar')"])
        // Not UTF-8: cannot be named by the daemon, so it is noted, not verified.
        try Tool.must(["python3", "-c", "open(b'\(root)/bad-\\xff\\xfe.tar', 'wb').close()"])
        // A deep chain of folders ends at the depth limit, long names and all.
        var deep = root
        for level in 0..<12 {
            deep += "/" + String(repeating: "\(level % 10)", count: 200)
            try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
            touch(deep + "/level.tar")
        }

        let scan = try result(DestinationScanner.scan(destination(root)))
        let names = Set(scan.archives.filter { !$0.hasSuffix("/level.tar") }.map { ($0 as NSString).lastPathComponent })
        #expect(names == [control, long, nonASCII])
        #expect(scan.archives.filter { $0.hasSuffix("/level.tar") }.count == DestinationScanner.maxDepth - 1)
        let reasons = scan.notes.skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) }
        #expect(reasons.contains { $0.0 == "fifo.tar" && $0.1 == .notRegularFile })
        #expect(reasons.contains { $0.0 == "socket.tar" && $0.1 == .notRegularFile })
        #expect(reasons.contains { $0.1 == .undecodableName })
        #expect(scan.notes.skippedCount == 3)
    }

    @Test func aMissingOrWrongDestinationIsUnavailable() throws {
        let work = TemporaryDirectory()
        touch(work.file("file"))
        for (path, reason) in [(work.file("none"), "No such file or directory"), (work.file("file"), "not a directory")] {
            guard case .unavailable(let text) = DestinationScanner.scan(destination(path)) else {
                Issue.record("\(path) scanned")
                continue
            }
            #expect(text == "\(path): \(reason)")
        }
    }
}
