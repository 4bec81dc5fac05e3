import Foundation
import Testing
import VerifyCore
import VerifyTestSupport
@testable import ArchiveReading

/// Opening destination files (`DestinationFile`) and emptying restore folders
/// (`RestoreFolder.empty`) against what a hostile writer can leave: FIFOs, sockets, symlinks,
/// devices, trees deeper than PATH_MAX, read-only folders.
struct ScratchTreeTests {
    @Test func onlyARegularFileIsOpenedAndEveryOtherKindIsNamed() throws {
        let temp = TemporaryDirectory()
        let file = temp.file("file")
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        #expect(mkfifo(temp.file("fifo"), 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: temp.file("link"), withDestinationPath: file)
        try FileManager.default.createSymbolicLink(atPath: temp.file("loop"), withDestinationPath: temp.file("loop"))
        try Tool.must(["python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", temp.file("socket")])

        let opened = try DestinationFile.open(file).get()
        #expect(fcntl(opened, F_GETFL) & O_NONBLOCK == 0, "O_NONBLOCK is cleared on the regular file")
        close(opened)
        let expected: [(String, DestinationFile.Problem)] = [
            ("fifo", .notRegular(.fifo)), ("link", .notRegular(.symlink)), ("loop", .notRegular(.symlink)),
            ("socket", .notRegular(.socket)), ("missing", .notFound),
        ]
        for (name, problem) in expected {
            #expect(throws: problem, "\(name)") { try DestinationFile.open(temp.file(name)).get() }
        }
        #expect(throws: DestinationFile.Problem.notRegular(.directory)) { try DestinationFile.open(temp.path).get() }
        #expect(throws: DestinationFile.Problem.notRegular(.characterDevice)) { try DestinationFile.open("/dev/null").get() }
    }

    @Test func aFIFOSwappedInAfterTheLookIsCaughtOnTheDescriptor() throws {
        // The look before the open (lstat) and the check on the descriptor (fstat) agree; the
        // open itself of a FIFO with no writer returns at once.
        let temp = TemporaryDirectory()
        #expect(mkfifo(temp.file("fifo"), 0o600) == 0)
        let fd = open(temp.file("fifo"), O_RDONLY | O_NONBLOCK | O_NOFOLLOW)
        #expect(fd >= 0, "a FIFO with no writer opens without blocking")
        close(fd)
        #expect(DestinationFile.kind(of: temp.file("fifo")) == .fifo)
    }

    /// Builds `depth` nested folders of 2-byte names under `root` with descriptors (no path
    /// string could name the bottom), a read-only file in each tenth, a symlink to `outside` at
    /// the bottom, and the top folder made read-only.
    func buildDeepTree(_ root: String, depth: Int, outside: String) {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        for level in 0..<depth {
            #expect(mkdirat(fd, "dd", 0o755) == 0)
            if level % 10 == 0 {
                let file = openat(fd, "ff", O_WRONLY | O_CREAT, 0o444)
                _ = write(file, "x", 1)
                close(file)
            }
            let child = openat(fd, "dd", O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = child
        }
        #expect(symlinkat(outside, fd, "out") == 0)
        close(fd)
        #expect(chmod(root + "/dd", 0o500) == 0)
    }

    @Test func emptyingRemovesATreeDeeperThanPathMaxAndNeverFollowsASymlink() throws {
        let temp = TemporaryDirectory()
        let scratch = temp.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        let outside = temp.file("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: outside + "/keep", contents: Data("keep".utf8))
        let depth = 3000  // 3 bytes a level: 9,000 bytes, twice PATH_MAX
        buildDeepTree(scratch, depth: depth, outside: outside)
        #expect(RestoreFolder.empty(scratch) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        #expect(FileManager.default.fileExists(atPath: outside + "/keep"), "a symlink in the tree is removed, not followed")
    }

    @Test func theRestoredTreeIsReadBackAtAnyDepth() throws {
        let temp = TemporaryDirectory()
        let scratch = temp.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        buildDeepTree(scratch, depth: 2000, outside: "/nowhere")
        let seen = Recorder()
        RestoredTree.feed(scratch, into: seen)
        #expect(seen.names.filter { $0.hasSuffix("/ff") || $0 == "ff" }.count == 200, "every tenth level has its file")
        #expect(seen.names.contains { $0.hasSuffix("/out") && $0.utf8.count > Int(PATH_MAX) }, "the bottom, beyond PATH_MAX, is reached")
        #expect(seen.names.count == 2000 + 200 + 1)
        RestoreFolder.empty(scratch)
    }
}

private final class Recorder: EntryVisitor {
    var names: [String] = []
    func beginEntry(_ header: EntryHeader) -> ContentRequest {
        names.append(String(decoding: header.rawPath, as: UTF8.self))
        return header.type == .file ? .read([.sha256]) : .skip
    }
    func endEntry(_ content: EntryContent?) {}
}

/// A caller that may follow a last symlink still gets only a regular file.
struct DestinationFileFollowTests {
    @Test func followingASymlinkStillRequiresARegularFile() throws {
        let temp = TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: temp.file("file"), contents: Data("x".utf8))
        #expect(mkfifo(temp.file("fifo"), 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: temp.file("to-file"), withDestinationPath: temp.file("file"))
        try FileManager.default.createSymbolicLink(atPath: temp.file("to-fifo"), withDestinationPath: temp.file("fifo"))
        let fd = try DestinationFile.open(temp.file("to-file"), followingSymlink: true).get()
        close(fd)
        #expect(throws: DestinationFile.Problem.notRegular(.fifo)) { try DestinationFile.open(temp.file("to-fifo"), followingSymlink: true).get() }
        #expect(throws: DestinationFile.Problem.notRegular(.symlink)) { try DestinationFile.open(temp.file("to-file")).get() }
    }
}
