import Foundation
import Synchronization
import Testing
import VerifyClient
import VerifyProtocol
import VerifyTestSupport

/// Alerts end to end with the real binaries: verifyd raises, a socket subscriber and
/// verifyd-hooks receive, the email hook mails a real SMTP server (aiosmtpd) on loopback.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct AlertDeliveryTests {
    /// A running process with its output in a file.
    final class Background {
        let process = Process()
        let log: String
        init(_ arguments: [String], log: String, environment: [String: String] = [:]) throws {
            self.log = log
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
            if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }
        var text: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        func stop(_ signal: Int32 = SIGTERM) {
            guard process.isRunning else { return }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// A subscriber that collects every alert it reads on a thread of its own.
    final class Subscriber: @unchecked Sendable {
        let alerts = Mutex<[Alert]>([])
        init(socket: String, since: Int64) throws {
            let client = try ControlClient(socketPath: socket)
            try client.send(WireProtocol.line(Request(id: 1, cmd: .subscribe, args: AlertsArguments(since: since))))
            _ = try client.readLine()
            nonisolated(unsafe) let reader = client
            Thread { [self] in
                while let line = try? reader.readLine() {
                    if let alert = try? JSONDecoder().decode(AlertLine.self, from: Data(line)).alert {
                        self.alerts.withLock { $0.append(alert) }
                    }
                }
            }.start()
        }
        var kinds: [AlertKind] { alerts.withLock { $0.map(\.kind) } }
    }

    struct Setup {
        let daemon = DaemonHarness()
        let hooksDirectory: String
        let recordFile: String
        let maildir: String
        var smtp: Background?
        var hooks: Background?

        init(timeout: String = "10s", extraHooks: [(String, String, mode_t)] = [], smtp: Bool = false) throws {
            hooksDirectory = try daemon.folder("hooks.d")
            recordFile = daemon.directory.file("record")
            maildir = daemon.directory.file("maildir")
            let record = hooksDirectory + "/all-record.sh"
            try ExecutableScript.write("#!/bin/sh\necho \"$VERIFYD_SEQ $VERIFYD_KIND $VERIFYD_DESTINATION\" >> '\(recordFile)'\n", to: record)
            for (name, body, mode) in extraHooks {
                try ExecutableScript.write(body, to: hooksDirectory + "/" + name, mode: mode)
            }
            let backups = try daemon.folder("backups")
            daemon.destinations = [
                "[hooks]\ndirectory = \"\(hooksDirectory)\"\nstate_directory = \"\(daemon.directory.file("hooks-state"))\"\ntimeout = \"\(timeout)\"",
                DaemonFixtures.destination("nightly", path: backups),
            ]
            if smtp {
                let port = Int.random(in: 20_000...40_000)
                try FileManager.default.copyItem(atPath: Tool.repositoryRoot + "/hooks/all-email.sh", toPath: hooksDirectory + "/all-email.sh")
                try "to=ops@example.org\nfrom=verifyd@backup-host\nrelay=127.0.0.1:\(port)\ntimeout=10\n"
                    .write(toFile: hooksDirectory + "/email.conf", atomically: true, encoding: .utf8)
                self.smtp = try Background(
                    ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", maildir],
                    log: daemon.directory.file("smtp.log"), environment: ["PYTHONPATH": Tool.repositoryRoot + "/.build/python"])
            }
        }

        var backups: String { daemon.directory.file("backups") }

        mutating func startHooks() throws {
            hooks = try Background([Tool.verifydHooks, "--config", daemon.configPath], log: daemon.directory.file("hooks.log"))
            let log = daemon.directory.file("hooks.log")
            let started = FileWatch.waitUntil(path: log, seconds: 20) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                return text.contains("following alerts") || text.contains("first start")
            }
            if !started { throw ToolError(description: "verifyd-hooks did not subscribe: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")") }
        }

        /// `SEQ KIND DESTINATION` lines the recording hook wrote.
        var recorded: [String] {
            ((try? String(contentsOfFile: recordFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        var mails: [String] {
            let folder = maildir + "/new"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return names.sorted().compactMap { try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }
        }
    }

    static let smtpAvailable = FileManager.default.fileExists(atPath: Tool.repositoryRoot + "/.build/python/aiosmtpd")

    @Test(.enabled(if: smtpAvailable, "make test installs aiosmtpd into .build/python"))
    func aCorruptedArchiveReachesSubscribersHooksAndMailThenRecovers() throws {
        var setup = try Setup(smtp: true)
        try setup.daemon.start()
        try setup.startHooks()
        let subscriber = try Subscriber(socket: setup.daemon.socketPath, since: 0)

        _ = try DaemonFixtures.corruptedArchive("home.tar", in: setup.backups, work: setup.daemon.directory)
        #expect(waitUntil(seconds: 30) { subscriber.kinds.contains(.verificationFailed) }, "\(setup.daemon.log_)")
        let alert = try #require(subscriber.alerts.withLock { $0.first { $0.kind == .verificationFailed } })
        #expect(alert.severity == .critical)
        #expect(alert.status == "firing")
        #expect(alert.labels["destination"] == "nightly")
        #expect(alert.details.first?.path == "var/log/big.log")
        #expect(alert.fingerprint.count == 16)

        #expect(waitUntil(seconds: 30) { setup.mails.contains { $0.contains("failed verification") } }, "\(setup.hooks?.text ?? "")\n\(setup.smtp?.text ?? "")")
        let mail = try #require(setup.mails.first { $0.contains("failed verification") })
        // The Subject is RFC 2047-encoded; a mail client reads it back.
        #expect((try HostileAlertTests.headers(of: mail))["subject"] as? String == "[verifyd] CRITICAL: nightly: home.tar failed verification: 1 failure(s)")
        #expect(mail.contains("To: ops@example.org"))
        #expect(mail.contains("content_mismatch: var/log/big.log"))
        #expect(mail.contains("verifyctl show \(alert.runId ?? -1)"))
        #expect(setup.recorded.contains("\(alert.seq) verification_failed nightly"))

        // The archive is replaced by a good one: recovered, to every channel.
        let work = TemporaryDirectory()
        let good = try DaemonFixtures.archive("home.tar", in: work.path, work: work, seed: 5, compress: false)
        try FileManager.default.removeItem(atPath: setup.backups + "/home.tar.sha256")
        try FileManager.default.copyItem(atPath: good + ".sha256", toPath: setup.backups + "/home.tar.sha256")
        #expect(rename(good, setup.backups + "/home.tar") == 0, "replaced atomically, as backup tools do")
        #expect(waitUntil(seconds: 30) { subscriber.kinds.contains(.recovered) }, "\(setup.daemon.log_)")
        #expect(waitUntil(seconds: 30) {
            setup.mails.contains { ((try? HostileAlertTests.headers(of: $0))?["subject"] as? String) == "[verifyd] INFO: nightly is ok again (was failing)" }
        })
        #expect(setup.daemon.signal(SIGTERM) == 0)
        setup.hooks?.stop()
    }

    @Test func nothingIsLostWhenTheRunnerOrTheDaemonStops() throws {
        var setup = try Setup()
        try setup.daemon.start()
        try setup.startHooks()
        #expect(try setup.daemon.ctl(["alerts", "test"]).status == 0)
        #expect(waitUntil(seconds: 20) { setup.recorded.count == 1 })

        // The runner is down while two alerts are raised; once back it delivers both, in order.
        setup.hooks?.stop()
        let first = try setup.daemon.ctl(["alerts", "test", "--json"]).object?["seq"] as? Int
        let second = try setup.daemon.ctl(["alerts", "test", "--json"]).object?["seq"] as? Int
        try setup.startHooks()
        // At least once: a stop that lands after the first alert's hook wrote its line but before
        // the runner saw it exit repeats that alert (the documented "at most the alert in
        // progress"), so the count may be 4.
        let both = ["\(first ?? -1) test nightly", "\(second ?? -1) test nightly"]
        #expect(waitUntil(seconds: 20) { setup.recorded.suffix(2) == both }, "\(setup.recorded) \(setup.hooks?.text ?? "")")
        #expect(setup.recorded.count == 3 || setup.recorded.count == 4 && setup.recorded[0] == setup.recorded[1], "\(setup.recorded)")

        // The daemon is killed right after writing an alert: it is in the log, and goes out
        // once the daemon is back.
        let third = try setup.daemon.ctl(["alerts", "test", "--json"]).object?["seq"] as? Int
        setup.daemon.signal(SIGKILL)
        try setup.daemon.start()
        #expect(waitUntil(seconds: 40) { setup.recorded.contains("\(third ?? -1) test nightly") }, "\(setup.hooks?.text ?? "")")
        #expect(Set(setup.recorded).count == setup.recorded.count || setup.recorded.last == "\(third ?? -1) test nightly", "in order, at least once")
        let list = try setup.daemon.ctl(["alerts", "list", "--json"])
        #expect((list.object?["alerts"] as? [[String: Any]])?.count ?? 0 >= 4)
        #expect(setup.daemon.signal(SIGTERM) == 0)
        setup.hooks?.stop()
    }

    @Test func aHangingHookIsKilledAndTheNextAlertStillGoesOutAndUnsafeHooksAreRefused() throws {
        var setup = try Setup(timeout: "2s", extraHooks: [
            ("test-hang.sh", "#!/bin/sh\nsleep 120\n", 0o755),
            ("all-group-writable.sh", "#!/bin/sh\ntouch /tmp/verifyd-must-not-run\n", 0o775),
        ])
        try setup.daemon.start()
        try setup.startHooks()
        #expect(try setup.daemon.ctl(["alerts", "test"]).status == 0)
        #expect(try setup.daemon.ctl(["alerts", "test"]).status == 0)
        // Each hook has its own lane: the recording hook does not wait for the hanging one.
        #expect(waitUntil(seconds: 30) { setup.recorded.count == 2 }, "\(setup.hooks?.text ?? "")")
        #expect(waitUntil(seconds: 30) { (setup.hooks?.text ?? "").contains("hook timed out and was killed") }, "\(setup.hooks?.text ?? "")")
        let log = setup.hooks?.text ?? ""
        #expect(log.contains("hook refused"))
        #expect(log.contains("writable by group or others"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/verifyd-must-not-run"))
        #expect(setup.daemon.signal(SIGTERM) == 0)
        setup.hooks?.stop()
    }

    @Test func aSubscriberThatReadsNothingCostsTheDaemonNoMemory() throws {
        let setup = try Setup()
        try setup.daemon.start()
        let pid = try #require(setup.daemon.pid)
        func rss() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        // Subscribe and never read.
        let client = try ControlClient(socketPath: setup.daemon.socketPath)
        try client.send(WireProtocol.line(Request(id: 1, cmd: .subscribe, args: AlertsArguments(since: 0))))
        let admin = try ControlClient(socketPath: setup.daemon.socketPath)
        for _ in 0..<100 { _ = try admin.call(.testAlert, NoArguments(), expecting: TestAlertResult.self) }
        let before = rss()
        for _ in 0..<1000 { _ = try admin.call(.testAlert, NoArguments(), expecting: TestAlertResult.self) }
        let after = rss()
        #expect(after - before < 8 * 1024, "RSS grew from \(before) KiB to \(after) KiB")
        #expect(try setup.daemon.ctl(["alerts", "list", "--since", "1099", "--json"]).object?["last"] as? Int == 1100)
        _ = client
        #expect(setup.daemon.signal(SIGTERM) == 0)
    }

    /// A Unix socket a local tool listens on, collecting the lines it receives.
    final class Listener: @unchecked Sendable {
        let fd: Int32
        let lines = Mutex<[String]>([])

        init(path: String, datagram: Bool) throws {
            let fd = socket(AF_UNIX, Int32((datagram ? SOCK_DGRAM : SOCK_STREAM).rawValue), 0)
            self.fd = fd
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + path.utf8.count + 1)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0 else { throw ToolError(description: "bind \(path): \(errno)") }
            if datagram {
                Thread { [self] in
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                        if n <= 0 { return }
                        self.lines.withLock { $0.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
                    }
                }.start()
            } else {
                listen(fd, 4)
                Thread { [self] in
                    while true {
                        let client = accept(fd, nil, nil)
                        if client < 0 { return }
                        var pending: [UInt8] = []
                        var buffer = [UInt8](repeating: 0, count: 65536)
                        while true {
                            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                            if n <= 0 { break }
                            pending += buffer[0..<n]
                            while let newline = pending.firstIndex(of: 0x0A) {
                                let line = String(decoding: pending[..<newline], as: UTF8.self)
                                pending.removeSubrange(...newline)
                                self.lines.withLock { $0.append(line) }
                            }
                        }
                        close(client)
                    }
                }.start()
            }
        }

        var seqs: [Int] {
            lines.withLock { $0 }.compactMap { line in
                ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])
                    .flatMap { $0["alert"] as? [String: Any] }?["seq"] as? Int
            }
        }

        deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    @Test func alertsArePushedToLocalSocketsInOrderEvenWhenAPeerWasDown() throws {
        let setup = try Setup()
        let streamPath = setup.daemon.directory.file("tool.sock")
        let datagramPath = setup.daemon.directory.file("tool.dgram")
        setup.daemon.settings = [
            "[[alert_socket]]\npath = \"\(streamPath)\"", "[[alert_socket]]\npath = \"\(datagramPath)\"\ntype = \"datagram\"",
        ]
        // Tables must follow the top-level keys: put them after the state and socket lines.
        let datagram = try Listener(path: datagramPath, datagram: true)
        try setup.daemon.start()
        let first = try setup.daemon.ctl(["alerts", "test", "--json"]).object?["seq"] as? Int
        let second = try setup.daemon.ctl(["alerts", "test", "--json"]).object?["seq"] as? Int
        #expect(waitUntil(seconds: 20) { datagram.seqs == [first ?? -1, second ?? -1] }, "\(datagram.lines.withLock { $0 })")
        // The stream peer comes up late (after the daemon found it down): it still gets both, in order.
        #expect(setup.daemon.waitForLog("cannot push alerts to a socket; retrying"), "\(setup.daemon.log_)")
        let stream = try Listener(path: streamPath, datagram: false)
        #expect(waitUntil(seconds: 30) { stream.seqs == [first ?? -1, second ?? -1] }, "\(stream.lines.withLock { $0 }) \(setup.daemon.log_)")
        #expect(setup.daemon.waitForLog("pushing alerts to the socket again"), "\(setup.daemon.log_)")
        #expect(setup.daemon.signal(SIGTERM) == 0)
    }
}
