import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// `verifyctl check` given a FIFO, a socket, a device, a folder or a symlink where an archive, a
/// manifest or a sidecar digest should be: a clear error naming the file and what it is, exit
/// status 2, at once (a FIFO with no writer used to block the open forever). Every run is
/// bounded by `timeout`, so a hang fails the test instead of stalling the suite.
@Suite struct HostileFileCheckTests {
    let temp = TemporaryDirectory()
    var archive: String { temp.file("backup.tar.gz") }
    var manifest: String { temp.file("backup.sha256") }

    init() throws {
        let tree = try FixtureTree.standard(at: temp.file("src"), seed: 5)
        try Tool.must(["tar", "-czf", archive, "."], in: tree.root)
        _ = FileManager.default.createFile(atPath: manifest, contents: Data(tree.sha256Manifest()))
    }

    /// `verifyctl check ARGS` under `timeout 30` (exit 124 if it hangs).
    func check(_ arguments: [String]) throws -> Tool.Result {
        try Tool.run(["timeout", "30", Tool.verifyctl, "check"] + arguments)
    }

    /// Makes a node of the kind at `path`: fifo, socket, symlink (to the good archive), directory.
    func make(_ kind: String, at path: String) throws {
        switch kind {
        case "fifo": try Tool.must(["mkfifo", path])
        case "socket": try Tool.must(["python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path])
        case "symlink": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: archive)
        case "directory": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        default: Issue.record("unknown kind \(kind)")
        }
    }

    static let kinds: [(String, String)] = [
        ("fifo", "is a FIFO (named pipe), not a regular file"),
        ("socket", "is a socket, not a regular file"),
        ("symlink", "is a symbolic link (not followed), not a regular file"),
        ("directory", "is a directory, not a regular file"),
    ]

    /// A FIFO named as the archive is a stream (issue 22): one no writer ever opens is an
    /// error after the stall timeout, never a hang.
    @Test(arguments: kinds) func anArchiveThatIsNotARegularFileIsAnError(kind: String, words: String) throws {
        let path = temp.file("odd.tar.gz")
        try make(kind, at: path)
        if kind == "fifo" {
            let stalled = try check([path, "-m", manifest, "--stall-timeout", "1"])
            #expect(stalled.status == 2, "\(stalled.stdout) \(stalled.stderr)")
            // Read in one pass, the stall is the run's error, in its report as any run's error is.
            #expect(stalled.stdout.contains("\(path): stalled: no data for"), "\(stalled.stdout)")
            return
        }
        let result = try check([path, "-m", manifest])
        #expect(result.status == 2, "\(kind): \(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("\(path): \(words)"), "\(kind): \(result.stdout)")
        let json = try CheckRun.run([path, "-m", manifest])
        #expect(json.status == 2 && json.verdict == "error")
        #expect(json.json?["error"]?.stringValue?.contains(words) == true, "\(json.stdout)")
    }

    @Test(arguments: kinds) func aManifestThatIsNotARegularFileIsAnError(kind: String, words: String) throws {
        let path = temp.file("odd.sha256")
        try make(kind, at: path)
        let result = try check([archive, "-m", path])
        #expect(result.status == 2, "\(kind): \(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("\(path): manifest \(words)"), "\(kind): \(result.stderr)")
    }

    @Test func aCharacterDeviceIsRefusedWithoutReadingIt() throws {
        let result = try check(["/dev/zero", "-m", manifest])
        #expect(result.status == 2)
        #expect(result.stdout.contains("/dev/zero: is a character device, not a regular file"), "\(result.stdout)")
        let asManifest = try check([archive, "-m", "/dev/zero"])
        #expect(asManifest.status == 2)
        #expect(asManifest.stderr.contains("/dev/zero: manifest is a character device"), "\(asManifest.stderr)")
    }

    @Test func aSidecarDigestThatIsAFIFOIsAnError() throws {
        // Found beside the archive by its name, and named on the command line.
        try make("fifo", at: archive + ".sha256")
        let found = try check([archive, "-m", manifest])
        #expect(found.status == 2, "\(found.stdout) \(found.stderr)")
        #expect(found.stderr.contains("\(archive).sha256: archive digest file is a FIFO (named pipe), not a regular file"), "\(found.stderr)")
        let named = try check([archive, "-m", manifest, "--archive-digest", archive + ".sha256"])
        #expect(named.status == 2)
        #expect(named.stderr.contains("archive digest file is a FIFO"))
        #expect(try check([archive, "-m", manifest, "--no-archive-digest"]).status == 0, "the archive itself is good")
    }

    @Test func aSymlinkedSidecarIsRefusedAndADanglingOneToo() throws {
        try FileManager.default.createSymbolicLink(atPath: archive + ".sha256", withDestinationPath: temp.file("nowhere"))
        let result = try check([archive, "-m", manifest])
        #expect(result.status == 2, "a dangling symlink is not skipped as if absent: \(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("archive digest file is a symbolic link (not followed)"), "\(result.stderr)")
    }

    @Test func aHugeSparseManifestIsRefusedNotAllocated() throws {
        let huge = temp.file("huge.sha256")
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 100 << 30) == 0, "a 100 GiB sparse file")
        let result = try check([archive, "-m", huge])
        #expect(result.status == 2, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("\(huge): manifest is larger than 1024 MiB (\(Int64(100) << 30) bytes): not read"), "\(result.stderr)")
        try FileManager.default.moveItem(atPath: huge, toPath: archive + ".sha256")
        let sidecar = try check([archive, "-m", manifest])
        #expect(sidecar.status == 2)
        #expect(sidecar.stderr.contains("archive digest file is larger than 1024 MiB"), "\(sidecar.stderr)")
    }

    @Test(
        .enabled(if: geteuid() == 0, "needs root to run verifyctl as nobody"),
        .enabled(if: Tool.binariesRunnableByOthers, "nobody cannot reach the built verifyctl (the checkout is in a folder only its owner may enter)"))
    func unreadableFilesAreNamedAsSuch() throws {
        // verifyctl as nobody (setpriv), on files only root may read.
        chmod(temp.path, 0o755)
        chmod(archive, 0o644)
        chmod(manifest, 0o600)
        let asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "timeout", "30", Tool.verifyctl, "check"]
        let manifestRun = try Tool.run(asNobody + [archive, "-m", manifest])
        #expect(manifestRun.status == 2, "\(manifestRun.stdout) \(manifestRun.stderr)")
        #expect(manifestRun.stderr.contains("\(manifest): manifest is not readable (permission denied)"), "\(manifestRun.stderr)")
        chmod(manifest, 0o644)
        chmod(archive, 0o600)
        let archiveRun = try Tool.run(asNobody + [archive, "-m", manifest])
        #expect(archiveRun.status == 2, "\(archiveRun.stdout) \(archiveRun.stderr)")
        #expect(archiveRun.stdout.contains("\(archive): permission denied"), "\(archiveRun.stdout)")
    }
}
