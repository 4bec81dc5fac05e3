import Foundation
import Testing
import VerifyProtocol
import VerifyTestSupport
@testable import VerifyDaemon

/// docs/protocol.md says what is a `bad_request`; the handler refuses exactly that, with a
/// message that names the field.
struct ProtocolValidationTests {
    let backend = ControlRequestHandlerTests.RecordingBackend()
    var handler: ControlRequestHandler { ControlRequestHandler(backend: backend, adminGroup: nil, daemonUID: 0) }

    func error(_ line: String) async throws -> (code: String?, message: String) {
        let bytes = await handler.reply(to: Array(line.utf8), from: PeerCredentials(pid: 1, uid: 0, gid: 0, groups: []))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let error = object["error"] as? [String: Any]
        return (error?["code"] as? String, error?["message"] as? String ?? "")
    }

    @Test(arguments: ["history", "alerts"], [0, -5, 10_001])
    func aLimitOutOfRangeIsABadRequest(command: String, limit: Int) async throws {
        let reply = try await error(#"{"id":1,"cmd":"\#(command)","args":{"limit":\#(limit)}}"#)
        #expect(reply.code == "bad_request")
        #expect(reply.message.contains("limit"))
        #expect(backend.calls.isEmpty)
    }

    @Test func limitsAtTheEdgesAreAccepted() async throws {
        for limit in [1, 10_000] {
            #expect(try await error(#"{"id":1,"cmd":"history","args":{"limit":\#(limit)}}"#).code == nil)
        }
    }

    @Test func aMisspeltArgumentIsNamed() async throws {
        let reply = try await error(#"{"id":1,"cmd":"status","args":{"destinaton":"nightly"}}"#)
        #expect(reply.code == "bad_request")
        #expect(reply.message.contains("\"destinaton\"") && reply.message.contains("\"destination\""))
        #expect(backend.calls.isEmpty)
        let subscribe = try await error(#"{"id":1,"cmd":"subscribe","args":{"sinec":3}}"#)
        #expect(subscribe.code == "bad_request" && subscribe.message.contains("\"sinec\""))
    }

    @Test func aStringIDIsNamedAndAMissingIDIsFine() async throws {
        let reply = try await error(#"{"id":"7","cmd":"status"}"#)
        #expect(reply.code == "bad_request")
        #expect(reply.message.contains("\"id\" must be an integer"))
        #expect(try await error(#"{"cmd":"status"}"#).code == nil)
        #expect(try await error(#"[1,2]"#).message == "the request is not a JSON object")
        #expect(try await error(#"{"id":1,"cmd":5}"#).message.contains("\"cmd\" must be a string"))
    }

    /// Every argument key the protocol documents is one the handler knows, and the reverse.
    @Test func theDocumentedArgumentsAreTheKnownOnes() throws {
        let doc = try String(contentsOfFile: Tool.repositoryRoot + "/docs/protocol.md", encoding: .utf8)
        for command in Command.allCases where !command.argumentKeys.isEmpty {
            let row = try #require(doc.split(separator: "\n").first { $0.hasPrefix("| `\(command.rawValue)` |") }, "\(command.rawValue) has no row")
            let cells = row.split(separator: "|")
            let arguments = cells.count > 1 ? String(cells[1]) : ""
            for key in command.argumentKeys {
                #expect(arguments.contains("\"\(key)\""), "docs/protocol.md's \(command.rawValue) row does not name \(key)")
            }
        }
    }
}
