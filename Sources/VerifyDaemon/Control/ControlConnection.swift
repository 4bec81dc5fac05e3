import Foundation
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// One connection to the control socket, served by a task of `ControlServer`: the hello, then
/// one reply line per request line, or a subscription's alert lines. Its socket is
/// non-blocking: every wait is on `SocketReactor`, bounded by the idle and send timeouts, and
/// ends when the task is cancelled (graceful shutdown).
struct ControlConnection: Sendable {
    let server: ControlServer
    let fd: Int32
    let peer: PeerCredentials
    let admin: Bool

    func serve() async {
        defer {
            close(fd)
            server.limits.withLock { $0.release(uid: peer.uid, admin: admin) }
        }
        guard await send(server.hello) else { return }
        var framer = LineFramer()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while let count = await receive(into: &chunk) {
            for frame in framer.append(chunk[0..<count]) {
                switch frame {
                case .tooLong:
                    let reply = WireProtocol.line(Reply<PingResult>.failure(
                        id: nil, WireError(.requestTooLarge, "request line longer than \(WireProtocol.maxLineBytes) bytes; it was skipped")))
                    guard await send(reply) else { return }
                case .line(let line):
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    guard await answer(line) else { return }
                }
            }
        }
    }

    /// Answers one request line; false when the connection is over (a subscription ended, or
    /// the peer is gone).
    private func answer(_ line: [UInt8]) async -> Bool {
        let response = await server.handler.respond(to: line, from: peer)
        guard let after = response.streamAfter else { return await send(response.line) }
        if let refusal = server.limits.withLock({ $0.admitSubscriber(uid: peer.uid, admin: admin) }) {
            let id = (try? JSONDecoder().decode(RequestHead.self, from: Data(line)))?.id
            return await send(WireProtocol.line(Reply<PingResult>.failure(id: id, WireError(.busy, refusal))))
        }
        defer { server.limits.withLock { $0.releaseSubscriber(uid: peer.uid, admin: admin) } }
        guard await send(response.line) else { return false }
        await stream(after: after)
        return false
    }

    /// A subscription: alerts after `seq` from the log, then each new one, as
    /// `{"alert":{...},"v":1}` lines, until the peer hangs up or the server stops. Nothing is
    /// queued for the peer: one that stops reading holds this task until the send timeout
    /// closes the connection; it resumes with `since`.
    private func stream(after seq: Int64) async {
        var cursor = seq
        while !Task.isCancelled {
            let batch = await server.feed.batch(after: cursor)
            if batch.isEmpty {
                await server.feed.waitForNew(after: cursor, seconds: 1)
                if peerHungUp() { return }
                continue
            }
            for (seq, payload) in batch {
                guard await send(Array("{\"alert\":\(payload),\"v\":\(WireProtocol.version)}\n".utf8)) else { return }
                cursor = seq
            }
        }
    }

    /// True when the peer closed its end (a subscriber sends nothing after `subscribe`).
    private func peerHungUp() -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        if poller.revents & Int16(POLLHUP | POLLERR) != 0 { return true }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0
    }

    /// Reads what the peer sent; nil at its end, on an error, after the idle timeout, or when
    /// the task is cancelled.
    private func receive(into chunk: inout [UInt8]) async -> Int? {
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { return count }
            if count == 0 { return nil }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { return nil }
            guard await SocketReactor.shared.wait(fd, for: Int16(POLLIN), timeout: ControlServer.idleTimeout) == .ready else { return nil }
        }
    }

    /// Sends all of `bytes`; false when the peer is gone, takes nothing for the send timeout,
    /// or the task is cancelled while it waits.
    private func send(_ bytes: [UInt8]) async -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = Self.sendSome(fd, bytes[offset...])
            if sent > 0 {
                offset += sent
                continue
            }
            if sent < 0, errno == EINTR { continue }
            guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK else { return false }
            guard await SocketReactor.shared.wait(fd, for: Int16(POLLOUT), timeout: ControlServer.sendTimeout) == .ready else { return false }
        }
        return true
    }

    /// Sends what the socket takes now, without waiting (a refusal on a fresh connection).
    @discardableResult
    static func sendNow(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = sendSome(fd, bytes[offset...])
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func sendSome(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Int {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }
}
