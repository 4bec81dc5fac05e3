import Foundation
import Testing
import VerifyClient
import VerifyProtocol
import VerifyTestSupport

/// Odd but legal peers of the control socket, served by tasks on non-blocking sockets: many
/// requests in one write, a peer that half-closes after its request, one that sends a byte at a
/// time.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ControlSocketPeerTests {
    /// A raw connection: what it sent, and every line it got back until the daemon closed it.
    static func exchange(_ path: String, _ chunks: [[UInt8]], halfClose: Bool) throws -> [String] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard UnixSocketAddress.with(path, { connect(fd, $0, $1) }) == 0 else { throw ToolError(description: "cannot connect") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        for chunk in chunks { _ = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func ping(_ id: Int) -> String { "{\"id\":\(id),\"cmd\":\"ping\",\"args\":{}}\n" }

    @Test func pipelinedRequestsInOneWriteAreAnsweredInOrderAndAHalfCloseEndsTheConnection() throws {
        let daemon = DaemonHarness()
        try daemon.start()
        let requests = (1...300).map(Self.ping).joined()
        let lines = try Self.exchange(daemon.socketPath, [Array(requests.utf8)], halfClose: true)
        #expect(lines.count == 301, "the hello and 300 replies, then the daemon closed: \(lines.count)")
        let ids = lines.dropFirst().compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["id"] as? Int
        }
        #expect(ids == Array(1...300))
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func aPeerThatNeverReadsItsLargeReplyHoldsNobodyElse() throws {
        let daemon = DaemonHarness()
        try daemon.start()
        let admin = try ControlClient(socketPath: daemon.socketPath)
        for _ in 0..<1500 { _ = try admin.call(.testAlert, NoArguments(), expecting: TestAlertResult.self) }
        // About a megabyte of reply that this peer never reads: its send waits, suspended.
        let stuck = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(stuck) }
        #expect(UnixSocketAddress.with(daemon.socketPath, { connect(stuck, $0, $1) }) == 0)
        let request = Array("{\"id\":1,\"cmd\":\"alerts\",\"args\":{\"limit\":10000}}\n".utf8)
        #expect(request.withUnsafeBytes { send(stuck, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == request.count)
        var queued: Int32 = 0
        #expect(waitUntil(seconds: 20) { ioctl(stuck, UInt(FIONREAD), &queued) == 0 && queued > 100_000 }, "the reply is on its way: \(queued) bytes")
        // Meanwhile every other peer is answered.
        for id in 1...20 {
            let lines = try Self.exchange(daemon.socketPath, [Array(Self.ping(id).utf8)], halfClose: true)
            #expect(lines.count == 2 && lines[1].contains("\"id\":\(id)"), "\(lines)")
        }
        #expect(try daemon.ctl(["status"]).status == 0)
        #expect(daemon.signal(SIGTERM) == 0, "and a stop does not wait for it")
    }

    @Test func aRequestSentOneByteAtATimeIsAnswered() throws {
        let daemon = DaemonHarness()
        try daemon.start()
        let bytes = Array(Self.ping(7).utf8).map { [$0] }
        let lines = try Self.exchange(daemon.socketPath, bytes, halfClose: true)
        #expect(lines.count == 2)
        #expect(lines.last?.contains("\"id\":7") == true, "\(lines)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
