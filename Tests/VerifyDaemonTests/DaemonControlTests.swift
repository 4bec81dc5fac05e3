import Foundation
import Testing
import VerifyClient
import VerifyProtocol
import VerifyTestSupport

/// Reloads, permissions and hostile requests, against the real daemon.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct DaemonControlTests {
    @Test func sighupWithABrokenConfigurationKeepsTheOldOne() throws {
        let daemon = DaemonHarness()
        let first = try daemon.folder("first")
        let second = try daemon.folder("second")
        daemon.destinations = [DaemonFixtures.destination("first", path: first)]
        try daemon.start()
        let good = daemon.configuration

        try daemon.writeConfiguration(good + "concurency = 2\n")
        daemon.signal(SIGHUP, wait: false)
        #expect(daemon.waitForLog("reload refused", seconds: 10))
        #expect(daemon.process?.isRunning == true)
        #expect(daemon.log_.contains("concurency: unknown key"))
        #expect(daemon.state("first") != nil, "the old destination is still served")

        let refused = try daemon.ctl(["reload"])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("concurency: unknown key"))
        #expect(refused.stderr.contains("the old configuration stays in force"))

        try daemon.writeConfiguration(good + DaemonFixtures.destination("second", path: second) + "\n")
        let reload = try daemon.ctl(["reload", "--json"])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(reload.object?["destinations"] as? [String] == ["first", "second"])
        #expect(daemon.state("second") != nil)

        try daemon.writeConfiguration(good)
        daemon.signal(SIGHUP, wait: false)
        #expect(waitUntil(seconds: 10) { daemon.state("second") == nil })
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func malformedAndHugeRequestsGetErrorsAndTheDaemonKeepsServing() throws {
        let daemon = DaemonHarness()
        daemon.destinations = [DaemonFixtures.destination("d", path: try daemon.folder("d"))]
        try daemon.start()
        let client = try ControlClient(socketPath: daemon.socketPath)
        #expect(client.hello.server == "verifyd")
        #expect(client.hello.v == WireProtocol.version)

        func reply(_ bytes: [UInt8]) throws -> [String: Any] {
            try client.send(bytes)
            let line = try client.readLine()
            return try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        }
        func code(_ object: [String: Any]) -> String? { (object["error"] as? [String: Any])?["code"] as? String }

        #expect(code(try reply(Array("this is not json\n".utf8))) == "bad_request")
        #expect(code(try reply(Array("[1,2,3]\n".utf8))) == "bad_request")
        #expect(code(try reply(Array("{\"id\":3,\"cmd\":\"explode\"}\n".utf8))) == "unknown_command")
        let wrongType = try reply(Array("{\"id\":4,\"cmd\":\"show\",\"args\":{\"run\":\"seven\"}}\n".utf8))
        #expect(code(wrongType) == "bad_request")
        #expect(wrongType["id"] as? Int == 4)
        #expect(code(try reply([0xff, 0xfe, 0x00, 0x0A])) == "bad_request")
        var huge = [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        huge.append(0x0A)
        #expect(code(try reply(huge)) == "request_too_large")
        // The same connection still works, and so does a new one.
        let ping = try reply(Array("{\"id\":9,\"cmd\":\"ping\"}\n".utf8))
        #expect(ping["ok"] as? Bool == true)
        #expect(ping["id"] as? Int == 9)
        #expect(try daemon.ctl(["status", "--json"]).object?["daemon"] != nil)
        #expect(daemon.process?.isRunning == true)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test(.enabled(if: getuid() == 0, "needs root to run verifyctl as another user"))
    func aNonAdminPeerMayReadButNotAskForAVerification() throws {
        let daemon = DaemonHarness()
        chmod(daemon.directory.path, 0o755)
        let backups = try daemon.folder("backups")
        daemon.settings = ["socket_group = \"nogroup\"", "admin_group = \"root\""]
        daemon.destinations = [DaemonFixtures.destination("d", path: backups)]
        try DaemonFixtures.archive("a.tar.gz", in: backups, work: daemon.directory)
        try daemon.start()
        var info = stat()
        #expect(stat(daemon.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)

        let asNobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", Tool.verifyctl]
        let status = try Tool.run(asNobody + ["status", "--json", "--socket", daemon.socketPath])
        #expect([0, 1, 2].contains(status.status), "reads are open to the socket group: \(status.stderr)")
        let verify = try Tool.run(asNobody + ["verify", "d", "--socket", daemon.socketPath])
        #expect(verify.status == 4)
        #expect(verify.stderr.contains("needs root or membership of the admin group"))
        let reload = try Tool.run(asNobody + ["reload", "--json", "--socket", daemon.socketPath])
        #expect(reload.status == 4)
        #expect(reload.stdout.contains("\"code\":\"not_authorized\""))
        // A user outside the socket group cannot even connect.
        let outsider = try Tool.run(["setpriv", "--reuid=nobody", "--regid=12345", "--clear-groups", Tool.verifyctl, "status", "--socket", daemon.socketPath])
        #expect(outsider.status == 3)
        // Root may.
        #expect(try daemon.ctl(["verify", "d", "--wait"]).status == 0)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func checkConfigValidatesAndNamesTheKey() throws {
        let daemon = DaemonHarness()
        daemon.destinations = [DaemonFixtures.destination("d", path: try daemon.folder("d"), extra: ["max_age = \"26h\""])]
        try daemon.writeConfiguration()
        let ok = try Tool.run([Tool.verifyd, "--config", daemon.configPath, "--check-config"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("destination[1] d:"))

        try daemon.writeConfiguration(daemon.configuration + "sample = \"lots\"\n")
        let bad = try Tool.run([Tool.verifyd, "--config", daemon.configPath, "--check-config"])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("\(daemon.configPath): destination[1].sample: \"lots\" is not a sample"))

        let missing = try Tool.run([Tool.verifyd, "--config", daemon.directory.file("nope.toml"), "--check-config"])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("does not exist"))
        // The daemon refuses to start on it too, with the same message.
        let start = try Tool.run([Tool.verifyd, "--config", daemon.configPath])
        #expect(start.status == 78)
        #expect(start.stderr.contains("destination[1].sample"))
    }
}
