import Foundation
import VerifyProtocol

/// What the control socket can ask of the daemon. The daemon implements it; tests can too.
public protocol ControlBackend: Sendable {
    func status(_ arguments: StatusArguments) async throws(WireError) -> StatusResult
    /// The whole reply line to `status` (the daemon keeps each destination's JSON; the default
    /// encodes `status`'s result).
    func statusReply(_ arguments: StatusArguments, id: Int64?) async throws(WireError) -> [UInt8]
    func history(_ arguments: HistoryArguments) async throws(WireError) -> HistoryResult
    func show(_ arguments: ShowArguments) async throws(WireError) -> ShowResult
    func verify(_ arguments: VerifyArguments) async throws(WireError) -> VerifyResult
    func reload() async throws(WireError) -> ReloadResult
    func alerts(_ arguments: AlertsArguments) async throws(WireError) -> AlertsResult
    func testAlert() async throws(WireError) -> TestAlertResult
    func coverage(_ arguments: CoverageArguments) async throws(WireError) -> CoverageResult
    func report(_ arguments: ReportArguments) async throws(WireError) -> ReportResult
    /// The newest alert sequence number (where a subscription without `since` starts).
    func lastAlertSeq() async -> Int64
}

extension ControlBackend {
    public func statusReply(_ arguments: StatusArguments, id: Int64?) async throws(WireError) -> [UInt8] {
        WireProtocol.line(Reply<StatusResult>.success(id: id, try await status(arguments)))
    }
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
        do throws(WireError) {
            head = try Self.head(of: data)
        } catch {
            return Response(line: failure(nil, error))
        }
        if head.cmd == Command.subscribe.rawValue {
            do throws(WireError) {
                try Self.checkArgumentKeys(data, for: .subscribe)
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
        guard let head = try? Self.head(of: data) else {
            return failure(nil, WireError(.badRequest, "the request is not a JSON object"))
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
            try Self.checkArgumentKeys(data, for: command)
            switch command {
            case .ping:
                return success(head.id, PingResult())
            case .status:
                let arguments = try decode(StatusArguments.self, data, optional: StatusArguments())
                return try await backend.statusReply(arguments, id: head.id)
            case .history:
                let arguments = try decode(HistoryArguments.self, data, optional: HistoryArguments(destination: nil))
                try Self.checkLimit(arguments.limit)
                return success(head.id, try await backend.history(arguments))
            case .show:
                return success(head.id, try await backend.show(try decode(ShowArguments.self, data, optional: nil)))
            case .verify:
                return success(head.id, try await backend.verify(try decode(VerifyArguments.self, data, optional: nil)))
            case .reload:
                return success(head.id, try await backend.reload())
            case .alerts:
                let arguments = try decode(AlertsArguments.self, data, optional: AlertsArguments())
                try Self.checkLimit(arguments.limit)
                return success(head.id, try await backend.alerts(arguments))
            case .testAlert:
                return success(head.id, try await backend.testAlert())
            case .coverage:
                return success(head.id, try await backend.coverage(try decode(CoverageArguments.self, data, optional: nil)))
            case .report:
                return success(head.id, try await backend.report(try decode(ReportArguments.self, data, optional: ReportArguments())))
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

    /// `id` and `cmd`, with a message that says which is wrong. `id` is optional.
    static func head(of data: Data) throws(WireError) -> RequestHead {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw WireError(.badRequest, "the request is not a JSON object")
        }
        if let id = object["id"], !(id is NSNull), (try? JSONDecoder().decode(IDOnly.self, from: data)) == nil {
            throw WireError(.badRequest, "\"id\" must be an integer (or left out), not \(Self.typeName(id))")
        }
        if let cmd = object["cmd"], !(cmd is String) {
            throw WireError(.badRequest, "\"cmd\" must be a string, not \(Self.typeName(cmd))")
        }
        guard let head = try? JSONDecoder().decode(RequestHead.self, from: data) else {
            throw WireError(.badRequest, "the request is not a JSON object with an optional integer \"id\" and a \"cmd\"")
        }
        return head
    }

    private struct IDOnly: Decodable { var id: Int64? }

    private static func typeName(_ value: Any) -> String {
        switch value {
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case is NSNumber: "a number out of range or with a fraction"
        default: "another type"
        }
    }

    /// Every key of `args` must be one the command knows.
    static func checkArgumentKeys(_ data: Data, for command: Command) throws(WireError) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let args = object["args"] as? [String: Any]
        else { return }
        let unknown = Set(args.keys).subtracting(command.argumentKeys).sorted()
        guard unknown.isEmpty else {
            let known = command.argumentKeys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw WireError(.badRequest, "unknown argument\(unknown.count > 1 ? "s" : "") \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")) for \(command.rawValue) (known: \(known.isEmpty ? "none" : known))")
        }
    }

    static func checkLimit(_ limit: Int?) throws(WireError) {
        guard let limit, !Command.limitRange.contains(limit) else { return }
        throw WireError(.badRequest, "limit: \(limit) is out of range \(Command.limitRange.lowerBound)...\(Command.limitRange.upperBound)")
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
