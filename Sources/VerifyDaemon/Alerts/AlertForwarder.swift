import Foundation
import Logging
import Synchronization
import VerifyProtocol
import VerifyStore

#if canImport(Glibc)
import Glibc
#endif

/// Pushes every alert, as one JSON line, to a local tool's Unix socket (stream or datagram), in
/// order, from the log. While the peer is down it retries with backoff (1 s doubling to 60 s);
/// its cursor is kept in the database, so a restart resumes where it stopped (at least once).
/// It runs on a thread of its own: a dead peer never delays verification.
public final class AlertForwarder: Sendable {
    let target: AlertSocketConfiguration
    let feed: AlertFeed
    let logger: Logger
    private let stopped = Atomic<Bool>(false)

    public init(target: AlertSocketConfiguration, feed: AlertFeed, logger: Logger) {
        self.target = target
        self.feed = feed
        self.logger = logger
    }

    var key: String { "\(target.kind.rawValue):\(target.path)" }

    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "verifyd-forward"
        thread.start()
    }

    public func stop() { stopped.store(true, ordering: .relaxed) }

    private func loop() {
        // A new target starts at the end of the log, not with its whole past.
        var cursor = (try? feed.store.alertCursor(key)) ?? nil
        if cursor == nil {
            cursor = feed.lastSeq
            try? feed.store.setAlertCursor(key, seq: feed.lastSeq)
        }
        var position = cursor ?? 0
        var connection: Int32 = -1
        var backoff = 1.0
        var failing = false
        while !stopped.load(ordering: .relaxed) {
            let batch = feed.batch(after: position)
            if batch.isEmpty {
                feed.wait(after: position, seconds: 1)
                continue
            }
            for (seq, payload) in batch {
                let line = Array("{\"alert\":\(payload),\"v\":\(WireProtocol.version)}\n".utf8)
                while !stopped.load(ordering: .relaxed) {
                    if let problem = deliver(line, &connection) {
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
                        Thread.sleep(forTimeInterval: backoff)
                        backoff = min(backoff * 2, 60)
                        continue
                    }
                    if failing {
                        logger.notice("pushing alerts to the socket again", metadata: ["socket": "\(target.path)"])
                        failing = false
                    }
                    backoff = 1
                    break
                }
                if stopped.load(ordering: .relaxed) { break }
                position = seq
                try? feed.store.setAlertCursor(key, seq: seq)
            }
        }
        if connection >= 0 { close(connection) }
    }

    /// Why one alert could not be pushed.
    struct DeliveryProblem: CustomStringConvertible {
        var reason: String
        /// Retrying cannot mend it (a datagram larger than the socket takes).
        var undeliverable = false
        var description: String { reason }
    }

    /// Sends one line; returns why it failed, or nil.
    private func deliver(_ line: [UInt8], _ connection: inout Int32) -> DeliveryProblem? {
        if connection < 0 {
            let type = target.kind == .stream ? SOCK_STREAM : SOCK_DGRAM
            let fd = socket(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return DeliveryProblem(reason: "socket: \(errnoText())") }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard UnixSocketAddress.with(target.path, { connect(fd, $0, $1) }) == 0 else {
                let reason = errnoText()
                close(fd)
                return DeliveryProblem(reason: "connect: \(reason)")
            }
            connection = fd
        }
        var offset = 0
        while offset < line.count {
            let n = line[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
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
