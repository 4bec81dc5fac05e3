import Foundation
import Testing
import VerifyDaemon
import VerifyProtocol
import VerifyTestSupport

/// The worker's sandbox (docs/security.md, issue 13 §8), probed from inside the real `verifyd
/// worker`: sealed as for a run, it tries to write into the daemon's state, to connect to the
/// live control socket and to the network, and to signal the daemon. Each must fail; writing
/// in its restore folder must work. The tests run as root, where nothing else would stop it.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct WorkerSandboxTests {
    static let landlock = WorkerSandbox.availability().landlockABI != nil
    static let python = Tool.exists("python3")

    /// Runs `verifyd worker` (optionally behind `wrapper`) with a probing request; its answer.
    static func worker(_ probe: SandboxProbe, restore: String?, wrapper: [String] = []) throws -> WorkerMessage {
        var request = WorkerRequest(
            archivePath: "/nonexistent.tar", manifestPath: nil, manifestEntry: nil, manifestFormat: nil, archiveDigestPath: nil,
            stripComponents: 0, strict: false, sample: .all, seed: 1, stallTimeout: 30, memoryLimit: 1 << 30)
        request.restoreDirectory = restore
        request.probe = probe
        let run = try Tool.run(wrapper + [Tool.verifyd, "worker"], input: WireProtocol.line(request))
        #expect(run.status == 0, "\(run.stderr)")
        return try JSONDecoder().decode(WorkerMessage.self, from: Data(run.stdout.utf8))
    }

    /// The probe's report.
    static func probe(_ probe: SandboxProbe, restore: String?, wrapper: [String] = []) throws -> SandboxProbeReport {
        let message = try worker(probe, restore: restore, wrapper: wrapper)
        return try #require(message.probe, "no probe report: \(message)")
    }

    /// A TCP listener on 127.0.0.1 (loopback only) and its port.
    static func tcpListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ToolError(description: "cannot listen on 127.0.0.1: \(errno)") }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    static func errnos(_ report: SandboxProbeReport, _ operation: SandboxProbeReport.Operation) -> [String: Int32] {
        Dictionary(report.attempts.filter { $0.operation == operation }.map { ($0.target, $0.errno) }, uniquingKeysWith: { $1 })
    }

    @Test func aSealedWorkerReachesNoSocketNetworkOrDaemon() throws {
        let daemon = DaemonHarness()
        daemon.destinations = [DaemonFixtures.destination("d", path: try daemon.folder("d"))]
        try daemon.start()
        let listener = try Self.tcpListener()
        defer { close(listener.fd) }
        // Unsealed, as root, the same connections work: what stops the worker is its sandbox.
        let control = try daemon.ctl(["status", "--json"])
        #expect([0, 1, 2].contains(control.status), "\(control.stderr)")
        let plain = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(listener.port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(plain, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(plain)
        #expect(connected == 0)

        let daemonPID = try #require(daemon.pid)
        let history = daemon.stateDirectory + "/history.sqlite"
        let report = try Self.probe(
            SandboxProbe(connectUnix: [daemon.socketPath], connectTCP: [listener.port], signal: [daemonPID], chmod: [history]),
            restore: nil)
        #expect(report.seccomp)
        // Outside restore mode not even a chmod of the database (Landlock does not govern it).
        #expect(Self.errnos(report, .chmod) == [history: EPERM], "\(report)")
        #expect(Self.errnos(report, .connectUnix) == [daemon.socketPath: EPERM], "\(report)")
        #expect(Self.errnos(report, .connectTCP) == ["127.0.0.1:\(listener.port)": EPERM], "\(report)")
        // Not even signal 0 reaches the daemon (seccomp; Landlock's signal scope too from ABI 6).
        #expect(Self.errnos(report, .signal) == ["\(daemonPID)": EPERM], "\(report)")
        #expect(try daemon.ctl(["history", "--json"]).status == 0, "the daemon still serves")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test(.enabled(if: landlock, "the kernel has Landlock"))
    func aSealedWorkerWritesOnlyInItsRestoreFolder() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups)]
        try daemon.start()
        let history = daemon.stateDirectory + "/history.sqlite"
        let before = try FileManager.default.attributesOfItem(atPath: history)
        let scratch = daemon.stateDirectory + "/scratch/run-1"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let elsewhere = NSTemporaryDirectory() + "verifyd-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let outside = [daemon.stateDirectory + "/forged", history, backups + "/planted.tar", elsewhere]
        let report = try Self.probe(
            SandboxProbe(
                write: outside + [scratch + "/restored"], remove: [history],
                shellWrite: [daemon.stateDirectory + "/forged-by-child", scratch + "/by-child"],
                hardLink: [[history, scratch + "/history-link"]]),
            restore: scratch)

        #expect(report.landlockABI == WorkerSandbox.availability().landlockABI)
        let writes = Self.errnos(report, .write)
        for path in outside { #expect(writes[path] == EACCES, "write \(path): \(report)") }
        #expect(writes[scratch + "/restored"] == 0, "the restore folder stays writable: \(report)")
        #expect(Self.errnos(report, .remove) == [history: EACCES], "\(report)")
        // Nor can it pull the database into the restore folder with a hard link, to write it there.
        let link = Self.errnos(report, .hardLink)[scratch + "/history-link"]
        #expect(link == EXDEV || link == EACCES, "\(report)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/history-link"))
        // A program it starts (libarchive's external decompressors) inherits the sandbox.
        let children = Self.errnos(report, .shellWrite)
        #expect(children[scratch + "/by-child"] == 0, "\(report)")
        #expect(children[daemon.stateDirectory + "/forged-by-child"].map { $0 > 0 } == true, "\(report)")
        #expect(!FileManager.default.fileExists(atPath: daemon.stateDirectory + "/forged-by-child"))

        // Nothing changed where it was refused.
        for path in [daemon.stateDirectory + "/forged", backups + "/planted.tar", elsewhere] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path)")
        }
        let after = try FileManager.default.attributesOfItem(atPath: history)
        #expect(after[.size] as? Int == before[.size] as? Int)
        #expect(after[.modificationDate] as? Date == before[.modificationDate] as? Date)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch + "/restored")) == Data([0x2A]))
        #expect(daemon.log_.contains("workers are sandboxed"), "\(daemon.log_)")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test(.enabled(if: landlock, "the kernel has Landlock"))
    func aRestoreFolderThatIsASymlinkIsRefusedNotFollowed() throws {
        let directory = TemporaryDirectory()
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state + "/scratch", withIntermediateDirectories: true)
        // Followed, the link would open the whole state folder (or /) to writes.
        let link = state + "/scratch/run-7"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: state)
        let message = try Self.worker(SandboxProbe(write: [state + "/forged"]), restore: link)
        #expect(message.probe == nil, "the worker must not run: \(message)")
        let result = try #require(message.result)
        #expect(result.verdict == .error)
        #expect(result.error == "cannot sandbox the worker: the Landlock rule for the restore folder \(link) failed: Not a directory", "\(result)")
        #expect(!FileManager.default.fileExists(atPath: state + "/forged"))

        // A restore folder that does not exist yet is made (0700) and is the one writable place.
        let fresh = state + "/scratch/run-8"
        let report = try Self.probe(SandboxProbe(write: [fresh + "/file", state + "/forged"]), restore: fresh)
        #expect(Self.errnos(report, .write) == [fresh + "/file": 0, state + "/forged": EACCES], "\(report)")
        var info = stat()
        #expect(stat(fresh, &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test func sealingRefusesAProcessThatAlreadyRunsSeveralThreads() throws {
        // This test process runs many threads: the sandbox would bind only the caller, so it
        // refuses before changing anything (the check comes before no_new_privs).
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        try #require(threads > 1, "a single-threaded test process would be sealed for good")
        let error = #expect(throws: WorkerSandboxError.self) { try WorkerSandbox.apply(writable: nil) }
        #expect(error?.step == .threads)
        #expect(error?.description == "cannot sandbox the worker: the worker already runs several threads, which the sandbox would not cover")
        // Still unsealed: this process can open a socket.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        close(fd)
    }

    /// A seccomp filter that refuses Landlock's three calls with EPERM, as systemd 252's
    /// `SystemCallFilter=@system-service` does, then runs the rest of the command line.
    static let filterLandlock = """
        import ctypes, os, struct, sys
        libc = ctypes.CDLL(None, use_errno=True)
        def op(code, k, jt=0, jf=0): return struct.pack("HBBI", code, jt, jf, k)
        program = [op(0x20, 0)]  # load the call's number
        for number in (444, 445, 446):  # landlock_create_ruleset, _add_rule, _restrict_self
            program += [op(0x15, number, 0, 1), op(0x06, 0x00050000 | 1)]  # EPERM
        program.append(op(0x06, 0x7FFF0000))  # allow
        code = ctypes.create_string_buffer(b"".join(program))
        class Program(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
        fprog = Program(len(program), ctypes.addressof(code))
        if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
            sys.exit("cannot install the filter: errno %d" % ctypes.get_errno())
        os.execv(sys.argv[1], sys.argv[1:])
        """

    @Test(.enabled(if: python, "python3 is installed by make test"))
    func withoutLandlockWorkersKeepTheirSocketFilterAndRunsGoOn() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups)]
        let script = daemon.directory.file("filter.py")
        try Self.filterLandlock.write(toFile: script, atomically: true, encoding: .utf8)
        let wrapper = ["python3", script]

        // The daemon behind the filter: its workers inherit it; it warns once, and verifies.
        try daemon.writeConfiguration()
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: { _ = FileManager.default.createFile(atPath: daemon.logPath, contents: nil); return daemon.logPath }()))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = wrapper + [Tool.verifyd, "--config", daemon.configPath, "--log-level", "debug"]
        process.standardError = log
        process.standardOutput = log
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(waitUntil(seconds: 20) { (try? daemon.ctl(["history", "--limit", "1"]).status) == 0 }, "\(daemon.log_)")
        // A worker behind it has no Landlock but still no socket: the live control socket is out of reach.
        let daemonPID = process.processIdentifier
        let report = try Self.probe(SandboxProbe(connectUnix: [daemon.socketPath], signal: [daemonPID]), restore: nil, wrapper: wrapper)
        #expect(report.landlockABI == nil)
        #expect(report.seccomp)
        #expect(Self.errnos(report, .connectUnix) == [daemon.socketPath: EPERM], "\(report)")
        #expect(Self.errnos(report, .signal) == ["\(daemonPID)": EPERM], "the filter alone keeps signals in: \(report)")

        try DaemonFixtures.archive("a.tar.gz", in: backups, work: daemon.directory)
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        #expect(daemon.runs().first?["verdict"] as? String == "pass", "\(daemon.runs()) \(daemon.log_)")
        #expect(daemon.log_.contains("workers have no Landlock"), "\(daemon.log_)")
        #expect(daemon.log_.contains("EPERM (a seccomp filter refuses landlock_create_ruleset"), "\(daemon.log_)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
