import Foundation
import Testing
import VerifyTestSupport

/// Greedy peers on the control socket, as real users outside the admin set (`setpriv` to uids
/// in `socket_group`): they take what the limits let them, and root's status and reload and
/// the hook runner's subscription still get through.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct SocketLimitsTests {
    /// Opens connections until refused, then subscribes on them until refused; prints what it
    /// got as one JSON line and holds everything until its stdin closes.
    static let greedy = #"""
        import json, socket, sys
        path = sys.argv[1]
        held, refused, subscribed, sub_refused = [], None, 0, None
        while len(held) < 100:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            f = s.makefile("rb")
            first = json.loads(f.readline())
            if first.get("ok") is False:
                refused = first["error"]
                s.close()
                break
            held.append((s, f))
        for s, f in held:
            s.sendall(b'{"id":7,"cmd":"subscribe","v":1}\n')
            reply = json.loads(f.readline())
            if reply.get("ok"):
                subscribed += 1
            else:
                sub_refused = reply["error"]
                break
        print(json.dumps({"held": len(held), "refused": refused, "subscribed": subscribed, "subRefused": sub_refused}), flush=True)
        sys.stdin.read()
        """#

    final class Peer {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        init(uid: Int, script: String, socket: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(uid)", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", script, socket]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }
        /// The line the peer prints once it holds all it could get.
        func report() throws -> [String: Any] {
            var bytes = Data()
            while !bytes.contains(0x0A) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            return try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        }
        func release() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    @Test func greedyUsersOutsideTheAdminSetCannotLockOutRootOrTheHookRunner() throws {
        let daemon = DaemonHarness()
        // The socket belongs to nogroup (mode 0660); the folders may be passed through by others.
        chmod(daemon.directory.path, 0o711)
        let hooksDirectory = try daemon.folder("hooks.d")
        daemon.settings = ["socket_group = \"nogroup\""]
        daemon.destinations = [
            // The hook runner runs as its own user (nobody here), outside the admin set.
            "[hooks]\ndirectory = \"\(hooksDirectory)\"\nstate_directory = \"\(daemon.directory.file("hooks-state"))\"\nuser = \"nobody\"",
            DaemonFixtures.destination("nightly", path: try daemon.folder("backups")),
        ]
        try daemon.start()
        let script = daemon.directory.file("greedy.py")
        try Self.greedy.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o644)

        // Ten users, one after the other, each as greedy as it can be.
        var peers: [Peer] = []
        var reports: [[String: Any]] = []
        for uid in 61_001...61_010 {
            let peer = try Peer(uid: uid, script: script, socket: daemon.socketPath)
            peers.append(peer)
            reports.append(try peer.report())
        }
        let held = reports.map { $0["held"] as? Int ?? -1 }
        #expect(held == [8, 8, 8, 8, 8, 8, 8, 8, 0, 0], "8 per user, 64 shared in all: \(reports)")
        let firstRefusal = (reports[0]["refused"] as? [String: Any]) ?? [:]
        #expect(firstRefusal["code"] as? String == "busy")
        #expect((firstRefusal["message"] as? String)?.contains("uid 61001 already holds 8 connections") == true, "\(firstRefusal)")
        let lastRefusal = (reports[9]["refused"] as? [String: Any]) ?? [:]
        #expect((lastRefusal["message"] as? String)?.contains("shared connections are in use") == true, "\(lastRefusal)")
        #expect(reports.prefix(8).allSatisfy { $0["subscribed"] as? Int == 2 }, "\(reports)")
        let subRefusal = (reports[0]["subRefused"] as? [String: Any]) ?? [:]
        #expect(subRefusal["code"] as? String == "busy")
        #expect((subRefusal["message"] as? String)?.contains("already holds 2 subscriptions") == true, "\(subRefusal)")

        // Another user's verifyctl is told why, and exits 3 (UNKNOWN for Nagios).
        let refused = try Tool.run([
            "setpriv", "--reuid=61011", "--regid=nogroup", "--clear-groups", Tool.verifyctl, "status", "--socket", daemon.socketPath,
        ])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("verifyd is busy: all 64 shared connections are in use"), "\(refused.stderr)")

        // Root still gets in: status, reload; and the hook runner, as the `[hooks] user` (not an
        // admin), still subscribes on the slots kept for it.
        let status = try daemon.ctl(["status"])
        #expect(status.status != 3, "\(status.stderr)")
        #expect(status.stdout.contains("VERIFYD"))
        let reload = try daemon.ctl(["reload"])
        #expect(reload.status == 0, "\(reload.stderr)")
        let hooksLog = daemon.directory.file("hooks.log")
        _ = FileManager.default.createFile(atPath: hooksLog, contents: nil)
        let hooksState = try daemon.folder("hooks-state")
        chown(hooksState, 65534, 65534)
        chmod(daemon.configPath, 0o644)
        let hooks = Process()
        hooks.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        hooks.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", Tool.verifydHooks, "--config", daemon.configPath]
        hooks.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: hooksLog))
        try hooks.run()
        defer { if hooks.isRunning { kill(hooks.processIdentifier, SIGKILL) } }
        #expect(waitUntil(seconds: 20) { ((try? String(contentsOfFile: hooksLog, encoding: .utf8)) ?? "").contains("first start") },
                "\((try? String(contentsOfFile: hooksLog, encoding: .utf8)) ?? "")")

        // The greedy users let go: a user outside the admin set is served again.
        for peer in peers { peer.release() }
        #expect(waitUntil(seconds: 20) {
            (try? Tool.run(["setpriv", "--reuid=61011", "--regid=nogroup", "--clear-groups", Tool.verifyctl, "status", "--socket", daemon.socketPath]).status) != 3
        })
    }
}
