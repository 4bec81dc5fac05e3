import Foundation
import Testing
import VerifyClient
import VerifyProtocol
import VerifyTestSupport

/// Every error code docs/protocol.md lists is one the daemon has, and the real daemon produces
/// it over its real socket, as the docs say. (`busy` is produced by SocketLimitsTests;
/// `shutting_down` and `internal_error` need a stop or a failing database at the right moment.)
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ErrorCodeTests {
    static func documentedCodes() throws -> [String] {
        let doc = try String(contentsOfFile: Tool.repositoryRoot + "/docs/protocol.md", encoding: .utf8)
        guard let table = doc.range(of: "| code | meaning |") else { return [] }
        return doc[table.upperBound...].split(separator: "\n").prefix { $0.hasPrefix("|") }.compactMap { line in
            let cell = line.split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return cell.hasPrefix("`") ? String(cell.dropFirst().dropLast()) : nil
        }
    }

    @Test func theDocumentedCodesAreTheDaemonsCodes() throws {
        let documented = try Self.documentedCodes()
        #expect(documented.count >= 10)
        #expect(Set(documented) == Set(ErrorCode.allCases.map(\.rawValue)), "docs/protocol.md: \(documented)")
    }

    /// The reply's error code to one raw request line.
    func code(_ client: ControlClient, _ line: String) throws -> String? {
        try client.send(Array((line + "\n").utf8))
        let reply = try JSONSerialization.jsonObject(with: Data(try client.readLine())) as? [String: Any]
        return (reply?["error"] as? [String: Any])?["code"] as? String
    }

    @Test func theDaemonProducesThem() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("nightly", path: backups)]
        try daemon.start()
        let client = try ControlClient(socketPath: daemon.socketPath)
        #expect(try code(client, #"{"id":1,"cmd":"status","args":{"destinaton":"x"}}"#) == "bad_request")
        #expect(try code(client, #"{"id":2,"cmd":"statuz"}"#) == "unknown_command")
        #expect(try code(client, #"{"id":3,"cmd":"status","args":{"destination":"nope"}}"#) == "unknown_destination")
        #expect(try code(client, #"{"id":4,"cmd":"verify","args":{"target":"/etc/passwd"}}"#) == "unknown_archive")
        #expect(try code(client, #"{"id":5,"cmd":"show","args":{"run":424242}}"#) == "unknown_run")
        #expect(try code(client, "{\"id\":6,\"cmd\":\"status\",\"pad\":\"" + String(repeating: "x", count: 1 << 21) + "\"}") == "request_too_large")
        try daemon.writeConfiguration(daemon.configuration + "concurency = 2\n")
        #expect(try code(client, #"{"id":7,"cmd":"reload"}"#) == "reload_failed")
        // A peer that is not root, the daemon's user or in admin_group may not reload.
        chmod(daemon.directory.path, 0o711)
        chown(daemon.socketPath, 0, 65534)
        let other = try Tool.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Tool.verifyctl, "reload", "--json", "--socket", daemon.socketPath])
        #expect(other.object?["code"] as? String == "not_authorized", "\(other.stdout) \(other.stderr)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
