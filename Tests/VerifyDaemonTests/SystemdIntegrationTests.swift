import Foundation
import Testing
import VerifyTestSupport

/// sd_notify as systemd receives it, journald priorities, and the shipped unit file.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct SystemdIntegrationTests {
    /// A datagram socket standing in for systemd's notify socket.
    final class NotifySocket {
        let fd: Int32
        let address: String

        init(abstract: Bool, directory: TemporaryDirectory) throws {
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var sun = sockaddr_un()
            sun.sun_family = sa_family_t(AF_UNIX)
            var name = abstract ? Array("@verifyd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))".utf8) : Array(directory.file("notify").utf8)
            address = String(decoding: name, as: UTF8.self)
            if abstract { name[0] = 0 }
            withUnsafeMutableBytes(of: &sun.sun_path) { $0.copyBytes(from: name) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count)
            let bound = withUnsafePointer(to: &sun) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0 else { throw ToolError(description: "bind \(address): \(errno)") }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        /// Datagrams received until `seconds` pass or one contains `text`.
        func receive(until text: String, seconds: Double) -> [String] {
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    let message = String(decoding: buffer[0..<n], as: UTF8.self)
                    messages.append(message)
                    if message.contains(text) { break }
                }
            }
            return messages
        }
    }

    @Test(arguments: [false, true])
    func speaksSdNotifyToPathAndAbstractSockets(abstract: Bool) throws {
        let daemon = DaemonHarness()
        daemon.destinations = [DaemonFixtures.destination("d", path: try daemon.folder("d"))]
        let notify = try NotifySocket(abstract: abstract, directory: daemon.directory)
        daemon.environment = ["NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "1000000", "JOURNAL_STREAM": "8:12345"]
        try daemon.start()
        let startup = notify.receive(until: "READY=1", seconds: 10)
        let ready = try #require(startup.first { $0.contains("READY=1") })
        #expect(ready.contains("STATUS=1 destination(s)"))
        #expect(!notify.receive(until: "WATCHDOG=1", seconds: 3).filter { $0.contains("WATCHDOG=1") }.isEmpty, "pings at half WATCHDOG_USEC")

        #expect(try daemon.ctl(["reload"]).status == 0)
        let reload = notify.receive(until: "READY=1", seconds: 5)
        #expect(reload.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        #expect(reload.last?.contains("READY=1") == true)

        daemon.signal(SIGTERM, wait: false)
        #expect(notify.receive(until: "STOPPING=1", seconds: 10).contains { $0.contains("STOPPING=1") })
        #expect(daemon.signal(0) == 0, "exit status after SIGTERM")
        // Under journald every line carries its priority.
        let lines = daemon.log_.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("<") }, "\(lines.prefix(3))")
        #expect(lines.contains { $0.hasPrefix("<6>started") })
    }

    static let analyze = Tool.exists("systemd-analyze")

    /// The shipped units with their binaries pointed at the built ones (verify needs them to exist).
    func unitCopies(_ directory: TemporaryDirectory) throws -> (daemon: String, hooks: String) {
        var paths: [String] = []
        for name in ["verifyd.service", "verifyd-hooks.service"] {
            let unit = try String(contentsOfFile: Tool.repositoryRoot + "/systemd/" + name, encoding: .utf8)
                .replacingOccurrences(of: "ExecStart=/usr/local/sbin/verifyd-hooks", with: "ExecStart=\(Tool.verifydHooks)")
                .replacingOccurrences(of: "ExecStart=/usr/local/sbin/verifyd ", with: "ExecStart=\(Tool.verifyd) ")
                .replacingOccurrences(of: "ExecReload=/usr/local/bin/verifyctl", with: "ExecReload=\(Tool.verifyctl)")
            let path = directory.file(name)
            try unit.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        return (paths[0], paths[1])
    }

    @Test(.enabled(if: analyze, "systemd-analyze is installed by make test")) func unitFilesVerifyClean() throws {
        let directory = TemporaryDirectory()
        let units = try unitCopies(directory)
        let verify = try Tool.run(["systemd-analyze", "verify", "--man=no", "--recursive-errors=yes", units.daemon, units.hooks])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(!verify.stderr.contains("Unknown key"), "\(verify.stderr)")
        // A misspelt system call in SystemCallFilter= is only a warning (and the call refused).
        #expect(!verify.stderr.contains("Failed to parse"), "\(verify.stderr)")
    }

    static let sysusers = Tool.exists("systemd-sysusers")

    /// Least privilege as shipped (docs/security.md): the hook runner is a user of its own, kept
    /// out of the daemon's state folder; workers may call Landlock under the unit's filter.
    @Test(.enabled(if: analyze && sysusers, "systemd is installed by make test"))
    func theHookRunnerIsItsOwnUserOutsideTheStateFolder() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("root/etc"), withIntermediateDirectories: true)
        try Tool.must(["systemd-sysusers", "--root=\(directory.file("root"))", Tool.repositoryRoot + "/systemd/verifyd.sysusers"])
        let passwd = try String(contentsOfFile: directory.file("root/etc/passwd"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
        let daemon = try #require(passwd.first { $0.first == "verifyd" })
        let hooks = try #require(passwd.first { $0.first == "verifyd-hooks" })
        #expect(daemon[2] != hooks[2] && daemon[3] != hooks[3], "own uid and primary group: \(passwd)")

        // The settings as the unit files write them (unitFilesVerifyClean checks systemd accepts them).
        let units = try unitCopies(directory)
        func property(_ unit: String, _ name: String) throws -> String {
            try String(contentsOfFile: unit, encoding: .utf8).split(separator: "\n")
                .filter { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }.joined(separator: " ")
        }
        #expect(try property(units.daemon, "User") == "verifyd")
        #expect(try property(units.daemon, "StateDirectoryMode") == "0700")
        #expect(try property(units.daemon, "SystemCallFilter").contains("landlock_create_ruleset landlock_add_rule landlock_restrict_self"))
        #expect(try property(units.hooks, "User") == "verifyd-hooks")
        #expect(try property(units.hooks, "Group") == "verifyd-hooks")
        #expect(try property(units.hooks, "SupplementaryGroups") == "verifyd", "the socket's group, nothing more")
        #expect(try property(units.hooks, "InaccessiblePaths").split(separator: " ").contains("-/var/lib/verifyd"))
    }

    @Test(.enabled(if: analyze, "systemd-analyze is installed by make test"), arguments: ["verifyd.service", "verifyd-hooks.service"])
    func unitFileExposureIsAtMostTwo(unit: String) throws {
        let directory = TemporaryDirectory()
        _ = try unitCopies(directory)
        let security = try Tool.run(["systemd-analyze", "security", "--offline=true", "--threshold=20", directory.file(unit)])
        #expect(security.status == 0, "\(security.stdout.suffix(600))")
        #expect(security.stdout.contains("Overall exposure level"))
    }
}
