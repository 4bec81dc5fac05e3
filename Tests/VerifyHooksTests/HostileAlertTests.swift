import Foundation
import Testing
import VerifyClient
import VerifyHooks
import VerifyProtocol
import VerifyTestSupport

/// Alerts about hostile names, end to end: a file name that tries to add mail headers, an entry
/// name with terminal escape sequences and one of 140,000 bytes. Everything printed for people
/// is escaped, the Subject is RFC 2047-encoded, JSON keeps the names exact, and the alert is
/// small enough for every hook and target.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct HostileAlertTests {
    static let escapeName = "evil\u{1b}[31mRED\u{1b}]0;pwned\u{07}.txt"
    static let archiveName = "x\nReply-To: evil@attacker.example\nBcc: victim@example.org.tar"

    /// A plain tar of one good file, with a manifest that also lists the two hostile names.
    static func hostileArchive(in folder: String, work: TemporaryDirectory) throws -> (archive: String, manifest: String, longName: String) {
        var tree = FixtureTree(root: work.file("tree"))
        try tree.add("good.txt", size: 1000, seed: 3)
        let longName = "deep/" + String(repeating: "n", count: 139_980) + "/tail.txt"
        var manifest = tree.sha256Manifest()
        let digest = String(repeating: "ab", count: 32)
        manifest += Array("\(digest)  \(escapeName)\n\(digest)  \(longName)\n".utf8)
        let archive = folder + "/" + archiveName
        _ = FileManager.default.createFile(atPath: archive + ".sha256", contents: Data(manifest))
        let staging = work.file("staging.tar")
        try Tool.must(["tar", "-cf", staging, "-C", tree.root, "."])
        try FileManager.default.moveItem(atPath: staging, toPath: archive)
        return (archive, archive + ".sha256", longName)
    }

    /// The headers of a mail as Python's email package reads them (a mail client's view).
    static func headers(of mail: String) throws -> [String: Any] {
        let script = """
            import email, json, sys
            from email.header import decode_header, make_header
            m = email.message_from_bytes(sys.stdin.buffer.read())
            print(json.dumps({"subject": str(make_header(decode_header(m["Subject"]))), "keys": list(m.keys())}))
            """
        let result = try Tool.run(["/usr/bin/python3", "-c", script], input: Array(mail.utf8))
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    @Test(.enabled(if: AlertDeliveryTests.smtpAvailable, "make test installs aiosmtpd into .build/python"))
    func hostileNamesReachNoHeaderAndNoTerminalAndTheAlertStaysSmall() throws {
        var setup = try AlertDeliveryTests.Setup(smtp: true)
        try setup.daemon.start()
        try setup.startHooks()
        let subscriber = try AlertDeliveryTests.Subscriber(socket: setup.daemon.socketPath, since: 0)
        let work = TemporaryDirectory()
        let (archive, manifest, longName) = try Self.hostileArchive(in: setup.backups, work: work)

        #expect(waitUntil(seconds: 60) { subscriber.kinds.contains(.verificationFailed) }, "\(setup.daemon.log_)")
        let alert = try #require(subscriber.alerts.withLock { $0.first { $0.kind == .verificationFailed } })
        // JSON keeps names exact while they fit, and cuts the long one with a marker.
        #expect(alert.archive == archive)
        #expect(alert.details.contains { $0.path == Self.escapeName })
        let cut = try #require(alert.details.first { $0.path?.hasPrefix("deep/nnn") == true }?.path)
        #expect(cut.contains("…[\(longName.utf8.count) bytes, cut]…") && cut.hasSuffix("/tail.txt"), "\(cut.suffix(60))")
        #expect(WireProtocol.line(alert).count < AlertBounds.maxEncodedBytes)
        let summary = "nightly: x\\nReply-To: evil@attacker.example\\nBcc: victim@example.org.tar failed verification: 2 failure(s)"

        // The hooks ran (no E2BIG), and the mail has no forged header.
        #expect(waitUntil(seconds: 60) { setup.recorded.contains("\(alert.seq) verification_failed nightly") }, "\(setup.hooks?.text ?? "")")
        #expect(waitUntil(seconds: 60) { setup.mails.contains { $0.contains("failed verification") } }, "\(setup.hooks?.text ?? "")")
        let mail = try #require(setup.mails.first { $0.contains("failed verification") })
        let headers = try Self.headers(of: mail)
        #expect(headers["subject"] as? String == "[verifyd] CRITICAL: \(summary)", "\(headers)")
        let keys = (headers["keys"] as? [String] ?? []).map { $0.lowercased() }
        #expect(!keys.contains("reply-to") && !keys.contains("bcc"), "\(keys)")
        #expect(mail.contains("=?UTF-8?Q?"))
        #expect(!mail.contains("\u{1b}"), "no ESC in the mail")
        #expect(mail.contains("missing: evil\\x1b[31mRED\\x1b]0;pwned\\x07.txt"))
        let hooksLog = setup.hooks?.text ?? ""
        #expect(!hooksLog.contains("cannot be started"), "\(hooksLog)")

        // verifyctl's text output escapes; its JSON stays exact.
        let listed = try setup.daemon.ctl(["alerts", "list"])
        #expect(listed.status == 0)
        #expect(!listed.stdout.contains("\u{1b}") && !listed.stdout.contains("\nReply-To"))
        #expect(listed.stdout.contains("evil\\x1b[31mRED") && listed.stdout.contains(summary))
        let run = try #require(alert.runId)
        let shown = try setup.daemon.ctl(["show", "\(run)"])
        #expect(!shown.stdout.contains("\u{1b}") && !shown.stdout.contains("\nReply-To"), "\(shown.stdout)")
        #expect(shown.stdout.contains("missing: evil\\x1b[31mRED\\x1b]0;pwned\\x07.txt"))
        let json = try setup.daemon.ctl(["alerts", "list", "--json"])
        let decoded = try JSONDecoder().decode(AlertsResult.self, from: Data(json.stdout.utf8))
        #expect(decoded.alerts.contains { $0.archive == archive })
        let history = try setup.daemon.ctl(["history"])
        #expect(!history.stdout.contains("\nReply-To") && history.stdout.contains("x\\nReply-To"), "\(history.stdout)")
        let status = try setup.daemon.ctl(["status"])
        #expect(!status.stdout.contains("\nReply-To") && status.stdout.contains("failing: "), "\(status.stdout)")

        let checked = try Tool.run([Tool.verifyctl, "check", archive, "--manifest", manifest])
        #expect(checked.status == 1)
        #expect(!checked.stdout.contains("\u{1b}") && !checked.stdout.contains("\nReply-To"), "\(checked.stdout)")
        #expect(checked.stdout.contains("evil\\x1b[31mRED\\x1b]0;pwned\\x07.txt"))
        let checkedJSON = try Tool.run([Tool.verifyctl, "check", archive, "--manifest", manifest, "--json"])
        let report = try #require(checkedJSON.object, "\(checkedJSON.stdout.prefix(300))")
        let paths = (report["failures"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(paths.contains(Self.escapeName) && paths.contains(longName), "JSON keeps names exact and whole")

        // The daemon's log has no forged line either.
        #expect(!setup.daemon.log_.contains("\nReply-To") && !setup.daemon.log_.contains("\u{1b}"))
        #expect(setup.daemon.signal(SIGTERM) == 0)
        setup.hooks?.stop()
    }

    @Test func anOversizedAlertWrittenByAnOlderVerifydGoesOutBounded() throws {
        var setup = try AlertDeliveryTests.Setup()
        try setup.daemon.start()
        try setup.startHooks()
        #expect(setup.daemon.signal(SIGTERM) == 0)
        // A 3 MB alert as an older verifyd stored it (a name of 3,000,000 bytes, unbounded).
        var alert = Alert(
            seq: 1, kind: .verificationFailed, time: Date().timeIntervalSince1970, destination: "nightly", archive: "/b/x.tar", runId: nil, summary: "s",
            details: [], failureCount: 1)
        alert.details = [FailureSummary(path: String(repeating: "p", count: 3_000_000), kind: "missing", expected: nil, actual: nil)]
        alert.summary = "nightly: x.tar failed verification: 1 failure(s)"
        let payload = Array(WireProtocol.line(alert).dropLast())
        let insert = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("INSERT INTO alert (seq, time, kind, destination, payload) VALUES (1, strftime('%s', 'now'), 'verification_failed', 'nightly', ?)", (sys.stdin.read(),))
            db.commit()
            """
        let inserted = try Tool.run(["/usr/bin/python3", "-c", insert, setup.daemon.stateDirectory + "/history.sqlite"], input: payload)
        #expect(inserted.status == 0, "\(inserted.stderr)")
        try setup.daemon.start()
        // The hook runner (reconnecting) and a subscriber get it bounded; so does `alerts list`.
        #expect(waitUntil(seconds: 40) { setup.recorded.contains("1 verification_failed nightly") }, "\(setup.hooks?.text ?? "")")
        let subscriber = try AlertDeliveryTests.Subscriber(socket: setup.daemon.socketPath, since: 0)
        #expect(waitUntil(seconds: 30) { !subscriber.alerts.withLock { $0.isEmpty } }, "\(setup.daemon.log_.suffix(3000))")
        let streamed = try #require(subscriber.alerts.withLock { $0.first })
        #expect(WireProtocol.line(streamed).count < AlertBounds.maxEncodedBytes)
        #expect(streamed.details.first?.path?.contains("…[3000000 bytes, cut]…") == true)
        let listed = try setup.daemon.ctl(["alerts", "list", "--json"])
        #expect(listed.status == 0 && listed.stdout.utf8.count < AlertBounds.maxEncodedBytes, "\(listed.stdout.utf8.count) bytes")
        #expect(listed.stdout.contains("cut]"), "\(listed.stdout.prefix(500)) \(listed.stderr)")
        setup.hooks?.stop()
        #expect(setup.daemon.signal(SIGTERM) == 0)
    }

    @Test(.enabled(if: AlertDeliveryTests.smtpAvailable, "make test installs aiosmtpd into .build/python"))
    func theEmailSubjectIsRFC2047EncodedAndReadsBackExactly() throws {
        let setup = try AlertDeliveryTests.Setup(smtp: true)
        // Non-ASCII in every width (2, 3 and 4 bytes), long enough to be folded over several
        // encoded words, with text that looks like an encoded word and a header.
        let summary = "nightly: Überprüfung_日本語 ✓ 🎉 =?utf-8?q?spoof?= Bcc: x@example.org " + String(repeating: "é日🎉", count: 30)
        var last = ""
        // aiosmtpd may take a moment to listen: the hook asks for a retry (75) until it does.
        #expect(waitUntil(seconds: 30) {
            let outcome = HookExecution.run(
                setup.hooksDirectory + "/all-email.sh", input: [],
                environment: [
                    "PATH": "/usr/bin:/bin", "VERIFYD_HOOKS_DIR": setup.hooksDirectory, "VERIFYD_SUMMARY": summary,
                    "VERIFYD_SEVERITY": "warning", "VERIFYD_REPEAT": "2",
                ], timeout: 20)
            last = "\(outcome)"
            return outcome.status == 0
        }, "\(last)")
        #expect(waitUntil(seconds: 20) { !setup.mails.isEmpty })
        let mail = try #require(setup.mails.first)
        let headers = try Self.headers(of: mail)
        #expect(headers["subject"] as? String == "[verifyd] WARNING: \(summary) (reminder 1)", "\(headers)")
        let keys = (headers["keys"] as? [String] ?? []).map { $0.lowercased() }
        #expect(!keys.contains("bcc"))
        let subjectLines = mail.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n").drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 3, "folded: \(subjectLines)")
        #expect(subjectLines.allSatisfy { $0.utf8.count <= 78 + "Subject: ".count && $0.allSatisfy(\.isASCII) }, "\(subjectLines)")
    }
}
