import Foundation
import VerifyProtocol

/// What the control socket can ask of the daemon. The daemon implements it; tests can too.
public protocol ControlBackend: Sendable {
    func status(_ arguments: StatusArguments) async throws(WireError) -> StatusResult
    func history(_ arguments: HistoryArguments) async throws(WireError) -> HistoryResult
    func show(_ arguments: ShowArguments) async throws(WireError) -> ShowResult
    func verify(_ arguments: VerifyArguments) async throws(WireError) -> VerifyResult
    func reload() async throws(WireError) -> ReloadResult
    func alerts(_ arguments: AlertsArguments) async throws(WireError) -> AlertsResult
    func testAlert() async throws(WireError) -> TestAlertResult
    func coverage(_ arguments: CoverageArguments) async throws(WireError) -> CoverageResult
    /// The newest alert sequence number (where a subscription without `since` starts).
    func lastAlertSeq() async -> Int64
}

/// Turns one request line into one reply line: parses, checks the peer's right to ask, calls
/// the backend, encodes. Never throws and never crashes on bad input: every problem is an error
/// reply. Testable without a socket.
public struct ControlRequestHandler: Sendable {
    public let backend: any ControlBackend
    public let adminGroup: UInt32?
    public let daemonUID: UInt32

    public init(backend: any ControlBackend, adminGroup: UInt32?, daemonUID: UInt32) {
        self.backend = backend
        self.adminGroup = adminGroup
        self.daemonUID = daemonUID
    }

    /// What the connection sends back: one line, and for `subscribe` the sequence number after
    /// which alerts are to be streamed.
    public struct Response: Sendable {
        public var line: [UInt8]
        public var streamAfter: Int64?
    }

    public func reply(to line: [UInt8], from peer: PeerCredentials) async -> [UInt8] {
        await respond(to: line, from: peer).line
    }

    public func respond(to line: [UInt8], from peer: PeerCredentials) async -> Response {
        let head: RequestHead
        let data = Data(line)
        do {
            head = try JSONDecoder().decode(RequestHead.self, from: data)
        } catch {
            return Response(line: failure(nil, WireError(.badRequest, "the request is not a JSON object with \"id\" and \"cmd\"")))
        }
        if head.cmd == Command.subscribe.rawValue {
            do throws(WireError) {
                let arguments = try decode(AlertsArguments.self, data, optional: AlertsArguments())
                let last = await backend.lastAlertSeq()
                let since = max(0, arguments.since ?? last)
                return Response(line: success(head.id, SubscribeResult(since: since, last: last)), streamAfter: since)
            } catch {
                return Response(line: failure(head.id, error))
            }
        }
        return Response(line: await replyToCommand(data, peer: peer))
    }

    private func replyToCommand(_ data: Data, peer: PeerCredentials) async -> [UInt8] {
        let decoder = JSONDecoder()
        guard let head = try? decoder.decode(RequestHead.self, from: data) else {
            return failure(nil, WireError(.badRequest, "the request is not a JSON object with \"id\" and \"cmd\""))
        }
        guard let name = head.cmd else { return failure(head.id, WireError(.badRequest, "the request has no \"cmd\"")) }
        guard let command = Command(rawValue: name) else {
            let known = Command.allCases.map(\.rawValue).joined(separator: ", ")
            return failure(head.id, WireError(.unknownCommand, "unknown command \"\(name)\" (known: \(known))"))
        }
        if command.isMutating, !peer.isAdmin(adminGroup: adminGroup, daemonUID: daemonUID) {
            return failure(head.id, WireError(
                .notAuthorized, "\(command.rawValue) needs root or membership of the admin group (you are uid \(peer.uid))"))
        }
        do throws(WireError) {
            switch command {
            case .ping:
                return success(head.id, PingResult())
            case .status:
                let arguments = try decode(StatusArguments.self, data, optional: StatusArguments())
                return success(head.id, try await backend.status(arguments))
            case .history:
                let arguments = try decode(HistoryArguments.self, data, optional: HistoryArguments(destination: nil))
                return success(head.id, try await backend.history(arguments))
            case .show:
                return success(head.id, try await backend.show(try decode(ShowArguments.self, data, optional: nil)))
            case .verify:
                return success(head.id, try await backend.verify(try decode(VerifyArguments.self, data, optional: nil)))
            case .reload:
                return success(head.id, try await backend.reload())
            case .alerts:
                return success(head.id, try await backend.alerts(try decode(AlertsArguments.self, data, optional: AlertsArguments())))
            case .testAlert:
                return success(head.id, try await backend.testAlert())
            case .coverage:
                return success(head.id, try await backend.coverage(try decode(CoverageArguments.self, data, optional: nil)))
            case .subscribe:
                return failure(head.id, WireError(.badRequest, "subscribe is handled by the connection"))
            }
        } catch {
            return failure(head.id, error)
        }
    }

    private func decode<A: Codable & Sendable>(_ type: A.Type, _ data: Data, optional fallback: A?) throws(WireError) -> A {
        let request: Request<A>
        do {
            request = try JSONDecoder().decode(Request<A>.self, from: data)
        } catch {
            throw WireError(.badRequest, "bad \"args\": \(Self.describe(error))")
        }
        if let args = request.args { return args }
        if let fallback { return fallback }
        throw WireError(.badRequest, "this command needs \"args\"")
    }

    static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }

    func success<R: Codable & Sendable>(_ id: Int64?, _ result: R) -> [UInt8] {
        WireProtocol.line(Reply<R>.success(id: id, result))
    }

    func failure(_ id: Int64?, _ error: WireError) -> [UInt8] {
        WireProtocol.line(Reply<PingResult>.failure(id: id, error))
    }
}
