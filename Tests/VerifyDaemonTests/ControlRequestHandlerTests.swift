import Foundation
import Testing
import VerifyProtocol
@testable import VerifyDaemon

/// The request logic without a socket: parsing, authorisation, dispatch, error replies.
struct ControlRequestHandlerTests {
    /// A backend that answers from fixed data and counts the mutating calls it gets.
    final class RecordingBackend: ControlBackend, @unchecked Sendable {
        private let lock = NSLock()
        private var _calls: [String] = []
        var calls: [String] { lock.withLock { _calls } }
        func record(_ call: String) { lock.withLock { _calls.append(call) } }

        func status(_ arguments: StatusArguments) async throws(WireError) -> StatusResult {
            record("status")
            if let name = arguments.destination, name != "nightly" { throw WireError(.unknownDestination, "no destination \"\(name)\"") }
            return StatusResult(
                daemon: DaemonInfo(version: "t", pid: 1, started: 0, now: 0, configPath: "/x", running: 0, queued: 0),
                destinations: [])
        }
        func history(_ arguments: HistoryArguments) async throws(WireError) -> HistoryResult {
            record("history \(arguments.destination ?? "*") \(arguments.limit ?? -1)")
            return HistoryResult(runs: [])
        }
        func show(_ arguments: ShowArguments) async throws(WireError) -> ShowResult {
            record("show \(arguments.run)")
            throw WireError(.unknownRun, "no run \(arguments.run)")
        }
        func verify(_ arguments: VerifyArguments) async throws(WireError) -> VerifyResult {
            record("verify \(arguments.target)")
            return VerifyResult(queued: [arguments.target], runs: nil)
        }
        func reload() async throws(WireError) -> ReloadResult {
            record("reload")
            return ReloadResult(destinations: ["nightly"])
        }
        func alerts(_ arguments: AlertsArguments) async throws(WireError) -> AlertsResult {
            record("alerts \(arguments.since ?? -1)")
            return AlertsResult(alerts: [], last: 0)
        }
        func testAlert() async throws(WireError) -> TestAlertResult {
            record("test_alert")
            return TestAlertResult(seq: 1)
        }
        func lastAlertSeq() async -> Int64 { 41 }
        func coverage(_ arguments: CoverageArguments) async throws(WireError) -> CoverageResult {
            record("coverage \(arguments.destination)")
            return CoverageResult(destination: arguments.destination, summary: nil, archives: [], entries: nil)
        }
        func report(_ arguments: ReportArguments) async throws(WireError) -> ReportResult {
            record("report \((arguments.destinations ?? []).joined(separator: ",")) \(arguments.since ?? -1)")
            return ReportResult(generated: 0, since: 0, version: "t", destinations: [])
        }
    }

    static let adminGroup: UInt32 = 4242
    static let daemonUID: UInt32 = 999
    let backend = RecordingBackend()
    var handler: ControlRequestHandler { ControlRequestHandler(backend: backend, adminGroup: Self.adminGroup, daemonUID: Self.daemonUID) }

    func reply(_ line: String, uid: UInt32 = 1000, gid: UInt32 = 1000, groups: [UInt32] = []) async throws -> [String: Any] {
        let bytes = await handler.reply(to: Array(line.utf8), from: PeerCredentials(pid: 1, uid: uid, gid: gid, groups: groups))
        #expect(bytes.last == 0x0A)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func code(_ reply: [String: Any]) -> String? { (reply["error"] as? [String: Any])?["code"] as? String }

    @Test func readsAreOpenToEveryPeer() async throws {
        let status = try await reply(#"{"id":1,"cmd":"status"}"#)
        #expect(status["ok"] as? Bool == true)
        #expect(status["id"] as? Int == 1)
        #expect(status["v"] as? Int == 1)
        let history = try await reply(#"{"id":2,"cmd":"history","args":{"destination":"nightly","limit":5}}"#)
        #expect(history["ok"] as? Bool == true)
        #expect(backend.calls == ["status", "history nightly 5"])
    }

    @Test(arguments: [
        (UInt32(0), UInt32(0), [UInt32](), true),  // root
        (daemonUID, daemonUID, [], true),  // the daemon's own user
        (1000, adminGroup, [], true),  // primary group is the admin group
        (1000, 1000, [7, adminGroup], true),  // a supplementary group is
        (1000, 1000, [7, 8], false),
    ])
    func mutatingCommandsNeedRootOrTheAdminGroup(uid: UInt32, gid: UInt32, groups: [UInt32], allowed: Bool) async throws {
        let verify = try await reply(#"{"id":3,"cmd":"verify","args":{"target":"nightly"}}"#, uid: uid, gid: gid, groups: groups)
        let reload = try await reply(#"{"id":4,"cmd":"reload"}"#, uid: uid, gid: gid, groups: groups)
        let test = try await reply(#"{"id":5,"cmd":"test_alert"}"#, uid: uid, gid: gid, groups: groups)
        if allowed {
            #expect(verify["ok"] as? Bool == true)
            #expect(reload["ok"] as? Bool == true)
            #expect(test["ok"] as? Bool == true)
            #expect(backend.calls == ["verify nightly", "reload", "test_alert"])
        } else {
            #expect(code(verify) == "not_authorized")
            #expect(code(reload) == "not_authorized")
            #expect(code(test) == "not_authorized")
            #expect(backend.calls.isEmpty, "the backend never sees a refused request")
        }
    }

    /// `report` is read-only: any peer that can open the socket (socket_group) may ask; its
    /// arguments are checked like every command's.
    @Test func reportIsOpenToEveryPeerAndChecksItsArguments() async throws {
        let plain = try await reply(#"{"id":3,"cmd":"report","args":{"destinations":["nightly"],"since":1000}}"#)
        #expect(plain["ok"] as? Bool == true)
        let bare = try await reply(#"{"id":4,"cmd":"report"}"#)
        #expect(bare["ok"] as? Bool == true)
        #expect(backend.calls == ["report nightly 1000.0", "report  -1.0"])
        let misspelt = try await reply(#"{"id":5,"cmd":"report","args":{"destination":"nightly"}}"#)
        #expect(code(misspelt) == "bad_request")
        #expect(((misspelt["error"] as? [String: Any])?["message"] as? String)?.contains(#"known: "destinations", "since""#) == true)
        let wrongType = try await reply(#"{"id":6,"cmd":"report","args":{"destinations":"nightly"}}"#)
        #expect(code(wrongType) == "bad_request")
        #expect(backend.calls.count == 2)
    }

    @Test func subscribeStartsAStreamAtTheEndOfTheLogOrAtSince() async throws {
        let fromEnd = await handler.respond(to: Array(#"{"id":1,"cmd":"subscribe"}"#.utf8), from: PeerCredentials(pid: 1, uid: 1000, gid: 1000, groups: []))
        #expect(fromEnd.streamAfter == 41)
        let since = await handler.respond(to: Array(#"{"id":2,"cmd":"subscribe","args":{"since":7}}"#.utf8), from: PeerCredentials(pid: 1, uid: 1000, gid: 1000, groups: []))
        #expect(since.streamAfter == 7)
        #expect(String(decoding: since.line, as: UTF8.self).contains("\"since\":7"))
        let bad = await handler.respond(to: Array(#"{"id":3,"cmd":"subscribe","args":{"since":"x"}}"#.utf8), from: PeerCredentials(pid: 1, uid: 1000, gid: 1000, groups: []))
        #expect(bad.streamAfter == nil)
    }

    @Test(arguments: [
        ("", "bad_request"), ("null", "bad_request"), ("\"status\"", "bad_request"), ("{}", "bad_request"),
        (#"{"id":"x","cmd":"status"}"#, "bad_request"), (#"{"id":1,"cmd":7}"#, "bad_request"),
        (#"{"id":1,"cmd":"STATUS"}"#, "unknown_command"), (#"{"id":1,"cmd":"show"}"#, "bad_request"),
        (#"{"id":1,"cmd":"show","args":{}}"#, "bad_request"), (#"{"id":1,"cmd":"show","args":{"run":1.5}}"#, "bad_request"),
        (#"{"id":1,"cmd":"verify","args":{"target":5}}"#, "bad_request"),
        (#"{"id":1,"cmd":"status","args":{"destination":"nope"}}"#, "unknown_destination"),
        (#"{"id":1,"cmd":"show","args":{"run":77}}"#, "unknown_run"),
    ])
    func badRequestsGetErrorReplies(line: String, expected: String) async throws {
        let answer = try await reply(line, uid: 0)
        #expect(answer["ok"] as? Bool == false)
        #expect(code(answer) == expected, "\(line): \(answer)")
        #expect(((answer["error"] as? [String: Any])?["message"] as? String)?.isEmpty == false)
    }
}
