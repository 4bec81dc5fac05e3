import Foundation

/// The control socket's contract: newline-delimited JSON over a Unix stream socket. The server
/// speaks first with a `Hello`; each request line gets exactly one reply line with the same id.
/// See docs/protocol.md.
public enum WireProtocol {
    /// The protocol version, in the hello and in every reply as `v`.
    public static let version = 1
    /// Longest request line the server accepts, newline excluded.
    public static let maxLineBytes = 1 << 20

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// One JSON line (with its newline) for a value.
    public static func line<T: Encodable>(_ value: T) -> [UInt8] {
        // Encoding our own Codable types cannot fail; an empty object keeps the stream framed if it did.
        var bytes = (try? [UInt8](encoder().encode(value))) ?? Array("{}".utf8)
        bytes.append(0x0A)
        return bytes
    }
}

/// The first line the server sends.
public struct Hello: Codable, Sendable, Equatable {
    public var v: Int
    public var server: String
    public var version: String
    public var pid: Int32

    public init(version: String, pid: Int32) {
        self.v = WireProtocol.version
        self.server = "verifyd"
        self.version = version
        self.pid = pid
    }
}

/// The commands the server knows.
public enum Command: String, Codable, Sendable, CaseIterable {
    case status, history, show, verify, reload, ping, alerts, subscribe, coverage, report
    case testAlert = "test_alert"

    /// Commands that change what the daemon does: allowed to root and the admin group only.
    public var isMutating: Bool { self == .verify || self == .reload || self == .testAlert }

    /// The keys its `args` may hold: any other is a `bad_request`, so a misspelt argument is
    /// never silently ignored.
    public var argumentKeys: Set<String> {
        switch self {
        case .status: ["destination"]
        case .history: ["destination", "limit"]
        case .show: ["run"]
        case .verify: ["target", "wait"]
        case .alerts: ["since", "limit"]
        case .subscribe: ["since"]
        case .coverage: ["destination", "archive"]
        case .report: ["destinations", "since"]
        case .reload, .ping, .testAlert: []
        }
    }

    /// The range of `limit` for `history` and `alerts`.
    public static let limitRange = 1...10_000
}

/// A request line: `{"id":7,"cmd":"status","args":{...}}`.
public struct Request<Arguments: Codable & Sendable>: Codable, Sendable {
    public var id: Int64?
    public var cmd: String
    public var args: Arguments?

    public init(id: Int64?, cmd: Command, args: Arguments?) {
        self.id = id
        self.cmd = cmd.rawValue
        self.args = args
    }
}

/// The part of a request every command shares, decoded first to pick the command.
public struct RequestHead: Codable, Sendable {
    public var id: Int64?
    public var cmd: String?
}

/// No arguments.
public struct NoArguments: Codable, Sendable, Equatable {
    public init() {}
}

/// A reply line: `{"v":1,"id":7,"ok":true,"result":{...}}` or
/// `{"v":1,"id":7,"ok":false,"error":{"code":"...","message":"..."}}`.
public struct Reply<Result: Codable & Sendable>: Codable, Sendable {
    public var v: Int
    public var id: Int64?
    public var ok: Bool
    public var result: Result?
    public var error: WireError?

    public static func success(id: Int64?, _ result: Result) -> Reply {
        Reply(v: WireProtocol.version, id: id, ok: true, result: result, error: nil)
    }

    public static func failure(id: Int64?, _ error: WireError) -> Reply {
        Reply(v: WireProtocol.version, id: id, ok: false, result: nil, error: error)
    }
}

/// The head of a reply, decoded before its result.
public struct ReplyHead: Codable, Sendable {
    public var v: Int?
    public var id: Int64?
    public var ok: Bool
    public var error: WireError?
}

/// An error reply's body: a stable snake_case code and a message for people.
public struct WireError: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) (\(code.rawValue))" }
}

/// Stable error codes. New codes may be added; existing ones never change meaning.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    /// The line is not a JSON object, or its fields have the wrong types.
    case badRequest = "bad_request"
    /// The line is longer than `WireProtocol.maxLineBytes`.
    case requestTooLarge = "request_too_large"
    case unknownCommand = "unknown_command"
    /// A mutating command from a peer that is neither root nor in the admin group.
    case notAuthorized = "not_authorized"
    case unknownDestination = "unknown_destination"
    case unknownArchive = "unknown_archive"
    case unknownRun = "unknown_run"
    /// The new configuration was refused; the old one stays in force.
    case reloadFailed = "reload_failed"
    case shuttingDown = "shutting_down"
    /// Too many connections at once.
    case busy
    case internalError = "internal_error"
}
