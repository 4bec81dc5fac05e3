import ArchiveReading
import Foundation
import Testing
import VerifyCore
@testable import VerifyDaemon
import VerifyTestSupport

/// The daemon's seek indexes: a worker records one on a whole read and sends it back in its
/// result; the daemon decodes it before keeping it; the next sampled run reads through it; a
/// damaged or foreign one is never trusted; the shelf stays under its limit.
@Suite struct SeekIndexShelfTests {
    let temp = TemporaryDirectory()
    let tree: FixtureTree
    var archive: String { temp.file("backup.tar.gz") }
    var manifest: String { temp.file("backup.sha256") }

    init() throws {
        tree = try FixtureTree.standard(at: temp.file("src"), seed: 3)
        try Tool.must(["tar", "-czf", temp.file("backup.tar.gz"), "."], in: tree.root)
        _ = FileManager.default.createFile(atPath: temp.file("backup.sha256"), contents: Data(tree.sha256Manifest()))
    }

    func request(sample: SamplePolicy, shelf: SeekIndexShelf) -> WorkerRequest {
        var request = WorkerRequest(
            archivePath: archive, manifestPath: manifest, manifestEntry: nil, manifestFormat: nil, archiveDigestPath: nil,
            stripComponents: 0, strict: false, sample: sample, seed: 5, stallTimeout: 60, memoryLimit: 1 << 30)
        request.seekIndexPath = shelf.existing(for: archive)
        request.recordsSeekIndex = true
        return request
    }

    @Test func workerRecordsDaemonKeepsNextSampleReadsThrough() throws {
        let shelf = SeekIndexShelf(stateDirectory: temp.file("state"))
        try FileManager.default.createDirectory(atPath: temp.file("state"), withIntermediateDirectories: true)
        let first = WorkerMain.verify(request(sample: .all, shelf: shelf))
        #expect(first.verdict == .pass)
        let text = try #require(first.seekIndex, "\(first.seekIndexNote ?? "no note")")
        try shelf.keep(text, for: archive)
        #expect(shelf.existing(for: archive) != nil)

        let sampled = WorkerMain.verify(request(sample: .count(3), shelf: shelf))
        #expect(sampled.verdict == .pass)
        // Used, or (a small archive, few checkpoints) declined as costlier than a whole read;
        // either way it still describes the archive, so none is recorded again.
        let note = sampled.seekIndexNote ?? "nil"
        #expect(note.hasPrefix("seek index used") || note.contains("reading it whole is faster"), "\(note)")
        #expect(sampled.seekIndex == nil, "a run through a current index records none")
        #expect(sampled.entriesChecked == 3)

        // The archive replaced: the kept index is not used, and a new one comes back.
        try Tool.must(["touch", "-d", "2001-01-01", archive])
        let changed = WorkerMain.verify(request(sample: .count(3), shelf: shelf))
        #expect(changed.verdict == .pass)
        #expect(changed.seekIndexNote?.hasPrefix("seek index used") != true, "\(changed.seekIndexNote ?? "nil")")
        #expect(changed.seekIndex != nil)

        shelf.remove(for: archive)
        #expect(shelf.existing(for: archive) == nil)
    }

    /// What a worker sends is decoded whole before it is kept: garbage or a damaged index is
    /// refused and nothing is written.
    @Test func damagedIndexFromAWorkerIsNotKept() throws {
        let shelf = SeekIndexShelf(stateDirectory: temp.file("state"))
        #expect(throws: SeekIndexError.self) { try shelf.keep("not base64 at all!", for: archive) }
        let text = try #require(WorkerMain.verify(request(sample: .all, shelf: shelf)).seekIndex)
        var bytes = [UInt8](try #require(Data(base64Encoded: text)))
        bytes[bytes.count / 2] ^= 1
        #expect(throws: SeekIndexError.self) { try shelf.keep(Data(bytes).base64EncodedString(), for: archive) }
        #expect(shelf.existing(for: archive) == nil)
    }

    /// Past its limit, the shelf drops its oldest indexes.
    @Test func shelfStaysUnderItsLimit() throws {
        try FileManager.default.createDirectory(atPath: temp.file("state"), withIntermediateDirectories: true)
        let text = try #require(WorkerMain.verify(request(sample: .all, shelf: SeekIndexShelf(stateDirectory: temp.file("state")))).seekIndex)
        let size = Int64(try #require(Data(base64Encoded: text)).count)
        let shelf = SeekIndexShelf(stateDirectory: temp.file("state"), limit: size * 2 + size / 2)
        for n in 0..<4 {
            try shelf.keep(text, for: "/backups/\(n).tar.gz")
            // Distinct modification times, oldest first.
            try Tool.must(["touch", "-d", "2020-01-0\(n + 1)", shelf.path(for: "/backups/\(n).tar.gz")])
        }
        shelf.prune()
        let kept = (0..<4).filter { shelf.existing(for: "/backups/\($0).tar.gz") != nil }
        #expect(kept == [2, 3])
    }
}
