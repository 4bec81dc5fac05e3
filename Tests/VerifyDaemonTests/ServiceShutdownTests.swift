import Foundation
import Testing
import VerifyClient
import VerifyProtocol
import VerifyTestSupport

/// SIGTERM ends every service of the daemon's group, whatever its peers do: an idle
/// connection, a subscriber that reads nothing, an alert socket that accepts and never reads.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ServiceShutdownTests {
    @Test func sigtermEndsTheDaemonWithPeersHoldingEveryKindOfConnection() throws {
        let daemon = DaemonHarness()
        let stuck = daemon.directory.file("stuck.sock")
        daemon.settings = ["[[alert_socket]]\npath = \"\(stuck)\""]
        daemon.destinations = [DaemonFixtures.destination("d", path: try daemon.folder("backups"))]
        // A peer that accepts and never reads: the forwarder's sends stall on it.
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(UnixSocketAddress.with(stuck) { bind(listener, $0, $1) } == 0)
        #expect(listen(listener, 4) == 0)
        defer { close(listener) }
        try daemon.start()
        let idle = try ControlClient(socketPath: daemon.socketPath)
        let subscriber = try ControlClient(socketPath: daemon.socketPath)
        try subscriber.send(WireProtocol.line(Request(id: 1, cmd: .subscribe, args: AlertsArguments(since: 0))))
        _ = try subscriber.readLine()
        let admin = try ControlClient(socketPath: daemon.socketPath)
        for _ in 0..<50 { _ = try admin.call(.testAlert, NoArguments(), expecting: TestAlertResult.self) }
        #expect(try subscriber.readLine().count > 0, "the subscription streams")

        #expect(daemon.signal(SIGTERM) == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the socket file is removed")
        #expect(throws: ClientError.self, "the idle connection was closed") { try idle.readLine() }
        #expect(daemon.log_.contains("stopped"))
    }
}
