import Foundation
import Testing
import VerifyDaemon
import VerifyTestSupport

/// The open-for-writing check (a read lease) and file identities, on real files.
struct WriterCheckTests {
    @Test func aFileOpenForWritingIsSeenUntilItIsClosed() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("a.tar")
        _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
        #expect(WriterCheck.writer(of: path) == .none)
        let writer = try #require(FileHandle(forWritingAtPath: path))
        #expect(WriterCheck.writer(of: path) == .writing)
        let reader = try #require(FileHandle(forReadingAtPath: path))
        try writer.close()
        #expect(WriterCheck.writer(of: path) == .none, "readers are no writers")
        try reader.close()
        let appender = try #require(FileHandle(forUpdatingAtPath: path))
        #expect(WriterCheck.writer(of: path) == .writing, "read-write counts")
        try appender.close()
        #expect(WriterCheck.writer(of: path) == .none)
    }

    @Test func oddFilesNeitherBlockNorPassForClosed() throws {
        let directory = TemporaryDirectory()
        #expect(WriterCheck.writer(of: directory.file("missing")) == .none)
        #expect(WriterCheck.identity(of: directory.file("missing")) == nil)
        let fifo = directory.file("fifo.tar")
        #expect(mkfifo(fifo, 0o644) == 0)
        guard case .notRegular(let why) = WriterCheck.writer(of: fifo) else { Issue.record("a FIFO"); return }
        #expect(why.contains("not a regular file"))
        let target = directory.file("real.tar")
        _ = FileManager.default.createFile(atPath: target, contents: Data([1]))
        let link = directory.file("link.tar")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        guard case .notRegular = WriterCheck.writer(of: link) else { Issue.record("a symlink is not followed"); return }
        #expect(WriterCheck.writer(of: directory.path) != .none, "a folder")
    }

    @Test func theIdentityChangesWithSizeMtimeAndInode() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("a.tar")
        _ = FileManager.default.createFile(atPath: path, contents: Data(count: 100))
        let first = try #require(WriterCheck.identity(of: path))
        #expect(first.size == 100)
        #expect(WriterCheck.identity(of: path) == first)
        try Tool.must(["touch", "-d", "@1000000000.5", path])
        let touched = try #require(WriterCheck.identity(of: path))
        #expect(touched.mtime == 1_000_000_000.5)
        #expect(touched.inode == first.inode)
        _ = FileManager.default.createFile(atPath: directory.file("b"), contents: Data(count: 100))
        try Tool.must(["touch", "-d", "@1000000000.5", directory.file("b")])
        #expect(rename(directory.file("b"), path) == 0)
        let replaced = try #require(WriterCheck.identity(of: path))
        #expect(replaced.size == touched.size && replaced.mtime == touched.mtime)
        #expect(replaced != touched, "same size and mtime, another file")
    }
}
