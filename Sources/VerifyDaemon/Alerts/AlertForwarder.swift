import Foundation
import Logging
import ServiceLifecycle
import VerifyProtocol
import VerifyStore

#if canImport(Glibc)
import Glibc
#endif

/// Pushes every alert, as one JSON line, to a local tool's Unix socket (stream or datagram), in
/// order, from the log. While the peer is down it retries with backoff (1 s doubling to 60 s);
/// its cursor is kept in the database, so a restart resumes where it stopped (at least once).
/// A service of the daemon's group: its socket is non-blocking and waited on by
/// `SocketReactor`, so a dead or slow peer holds a suspended task, never verification.
public final class AlertForwarder: Service, Sendable {
    let target: AlertSocketConfiguration
    let feed: AlertFeed
    let logger: Logger
    /// A peer that takes nothing for this long counts as down.
    static let sendTimeout: Double = 10

    public init(target: AlertSocketConfiguration, feed: AlertFeed, logger: Logger) {
        self.target = target
        self.feed = feed
        self.logger = logger
    }

    var key: String { "\(target.kind.rawValue):\(target.path)" }

    /// Forwards until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.forward() }
    }

    private func forward() async {
        let store = feed.store
        let key = self.key
        // A new target starts at the end of the log, not with its whole past.
        let last = feed.lastSeq
        var position = await HistoryExecutor.shared.run { () -> Int64 in
            if let cursor = (try? store.alertCursor(key)) ?? nil { return cursor }
            try? store.setAlertCursor(key, seq: last)
            return last
        }
        var connection: Int32 = -1
        defer { if connection >= 0 { close(connection) } }
        var backoff = 1.0
        var failing = false
        while !Task.isCancelled {
            let batch = await feed.batch(after: position)
            if batch.isEmpty {
                await feed.waitForNew(after: position, seconds: 1)
                continue
            }
            for (seq, payload) in batch {
                let line = Array("{\"alert\":\(payload),\"v\":\(WireProtocol.version)}\n".utf8)
                while !Task.isCancelled {
                    guard let problem = await deliver(line, &connection) else {
                        if failing { logger.notice("pushing alerts to the socket again", metadata: ["socket": "\(target.path)"]) }
                        failing = false
                        backoff = 1
                        break
                    }
                    if problem.undeliverable {
                        // Retrying cannot help and would block every later alert: this
                        // alert is skipped for this target only.
                        logger.error("alert cannot be pushed to this socket; skipped for it", metadata: [
                            "socket": "\(target.path)", "alert.seq": "\(seq)", "bytes": "\(line.count)", "error": "\(problem)",
                        ])
                        break
                    }
                    if !failing {
                        logger.warning("cannot push alerts to a socket; retrying", metadata: ["socket": "\(target.path)", "error": "\(problem)"])
                        failing = true
                    }
                    try? await Task.sleep(for: .milliseconds(Int64(backoff * 1000)))
                    backoff = min(backoff * 2, 60)
                }
                if Task.isCancelled { return }
                position = seq
                _ = await HistoryExecutor.shared.run { try? store.setAlertCursor(key, seq: seq) }
            }
        }
    }

    /// Why one alert could not be pushed.
    struct DeliveryProblem: CustomStringConvertible {
        var reason: String
        /// Retrying cannot mend it (a datagram larger than the socket takes).
        var undeliverable = false
        var description: String { reason }
    }

    /// Sends one line; returns why it failed, or nil.
    private func deliver(_ line: [UInt8], _ connection: inout Int32) async -> DeliveryProblem? {
        if connection < 0 {
            let type = target.kind == .stream ? SOCK_STREAM : SOCK_DGRAM
            let fd = socket(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { return DeliveryProblem(reason: "socket: \(errnoText())") }
            // A Unix socket connects at once or not at all (EAGAIN: its backlog is full).
            guard UnixSocketAddress.with(target.path, { connect(fd, $0, $1) }) == 0 else {
                let reason = errnoText()
                close(fd)
                return DeliveryProblem(reason: "connect: \(reason)")
            }
            connection = fd
        }
        var offset = 0
        while offset < line.count {
            let n = line[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                if await SocketReactor.shared.wait(connection, for: Int16(POLLOUT), timeout: Self.sendTimeout) == .ready { continue }
                errno = EAGAIN
            }
            if n <= 0 {
                let tooLarge = n < 0 && errno == EMSGSIZE
                let reason = errnoText()
                close(connection)
                connection = -1
                return DeliveryProblem(reason: "send: \(reason)", undeliverable: tooLarge)
            }
            offset += n
            if target.kind == .datagram { break }
        }
        if target.kind == .datagram {
            // A datagram socket is reconnected per alert, so a restarted peer is found again.
            close(connection)
            connection = -1
        }
        return nil
    }
}
