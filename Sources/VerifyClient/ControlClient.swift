import Foundation
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A connection to the daemon's control socket: reads the hello, then sends requests and reads
/// their replies, one line each. Blocking; one request at a time.
public final class ControlClient {
    public let socketPath: String
    public private(set) var hello: Hello
    private let fd: Int32
    private var framer = LineFramer(limit: 64 << 20)
    private var pending: [LineFramer.Frame] = []
    private var nextID: Int64 = 1

    /// Connects and reads the hello.
    public init(socketPath: String) throws(ClientError) {
        self.socketPath = socketPath
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError(.unreachable, "cannot create a socket: \(String(cString: strerror(errno)))") }
        guard let connected = UnixSocketAddress.with(socketPath, { connect(fd, $0, $1) }) else {
            close(fd)
            throw ClientError(.unreachable, "\(socketPath): socket path is longer than 107 bytes")
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ClientError(.unreachable, "cannot connect to verifyd at \(socketPath): \(reason) (is verifyd running? see --socket)")
        }
        self.fd = fd
        hello = Hello(version: "", pid: 0)
        let line = try readLine()
        do {
            hello = try JSONDecoder().decode(Hello.self, from: Data(line))
        } catch {
            // A daemon with no free connection slot answers with a `busy` error reply
            // instead of the hello, then closes.
            if let head = try? JSONDecoder().decode(ReplyHead.self, from: Data(line)), !head.ok, let error = head.error {
                throw ClientError(.daemon(error.code), error.message)
            }
            throw ClientError(.protocolError, "\(socketPath): the server's hello is not a verifyd hello")
        }
        guard hello.v == WireProtocol.version else {
            throw ClientError(.protocolError, "\(socketPath): verifyd speaks protocol version \(hello.v), this verifyctl speaks \(WireProtocol.version)")
        }
    }

    deinit { close(fd) }

    /// Ends the connection from another thread: a `readLine` blocked in it returns (throws).
    /// Safe to call from any thread, once or more (shutdown(2) only; the descriptor is closed
    /// by deinit).
    public func interrupt() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Sends one request and waits for its reply. A reply with `ok: false` throws `.daemon`.
    public func call<Arguments: Codable & Sendable, Result: Codable & Sendable>(
        _ command: Command, _ arguments: Arguments, expecting: Result.Type
    ) throws(ClientError) -> Result {
        let id = nextID
        nextID += 1
        try send(WireProtocol.line(Request(id: id, cmd: command, args: arguments)))
        let line = try readLine()
        let head: ReplyHead
        do {
            head = try JSONDecoder().decode(ReplyHead.self, from: Data(line))
        } catch {
            throw ClientError(.protocolError, "malformed reply from verifyd: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        if !head.ok {
            let error = head.error ?? WireError(.internalError, "error reply without an error")
            throw ClientError(.daemon(error.code), error.message)
        }
        do {
            let reply = try JSONDecoder().decode(Reply<Result>.self, from: Data(line))
            guard let result = reply.result else { throw ClientError(.protocolError, "reply without a result") }
            return result
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(.protocolError, "unexpected reply to \(command.rawValue): \(error)")
        }
    }

    /// Writes raw bytes (tests use this to send malformed lines).
    public func send(_ bytes: [UInt8]) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ClientError(.unreachable, "lost the connection to verifyd: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Reads one line from the server.
    public func readLine() throws(ClientError) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if !pending.isEmpty {
                switch pending.removeFirst() {
                case .line(let line): return line
                case .tooLong: throw ClientError(.protocolError, "a reply longer than 64 MiB")
                }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ClientError(.unreachable, "lost the connection to verifyd: \(String(cString: strerror(errno)))")
            }
            if count == 0 { throw ClientError(.unreachable, "verifyd closed the connection") }
            pending.append(contentsOf: framer.append(chunk[0..<count]))
        }
    }
}

/// Why a call failed.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The socket cannot be reached or the connection was lost.
        case unreachable
        /// The server said something that is not the protocol.
        case protocolError
        /// The daemon answered with an error reply.
        case daemon(ErrorCode)
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
