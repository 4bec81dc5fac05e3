import CDaemonSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VerifyClient
import VerifyProtocol
import VerifySystem

/// Sends verifyd's alerts to one Alertmanager: follows the alert log over the control socket on
/// a connection of its own, with its own cursor (moved only once Alertmanager took an alert's
/// posts), retried with backoff without holding up the hooks or another target. The whole log
/// is replayed through an `AlertmanagerBook` at every connection, posting only what lies after
/// the cursor, so the firing alerts are known again after a restart; they are posted again
/// every `repost_interval` while they last.
public final class AlertmanagerForwarder: @unchecked Sendable {
    let target: AlertmanagerConfiguration
    let socketPath: String
    let logger: Logger
    let state: HookRunnerState
    let cursorName: String
    let poster: AlertmanagerPoster
    var retryDelays: [Double] = [1, 2, 5, 10, 30, 60]
    private let book: Mutex<AlertmanagerBook>
    private let stopping = Atomic<Bool>(false)
    /// Posts go out one at a time, in the log's order.
    private let sending = NSLock()
    /// Written once by `stop()`: pauses wait on its read end.
    private let stopPipe: (read: Int32, write: Int32) = {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return (-1, -1) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }()
    /// The subscription's client while it is connected, for `stop()` to interrupt.
    private var client: ControlClient?
    private let clientLock = NSLock()

    public init(target: AlertmanagerConfiguration, stateDirectory: String, socketPath: String, logger: Logger) throws {
        self.target = target
        self.socketPath = socketPath
        self.logger = logger
        state = try HookRunnerState(directory: stateDirectory)
        cursorName = "alertmanager-" + Self.hash(target.name)
        poster = try AlertmanagerPoster(target: target, stateDirectory: stateDirectory, fileName: cursorName)
        book = Mutex(AlertmanagerBook(host: target.host ?? ProcessInfo.processInfo.hostName))
    }

    /// Ends `run()`: wakes its pauses and its blocking read.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        var byte: UInt8 = 1
        if stopPipe.write >= 0 { _ = write(stopPipe.write, &byte, 1) }
        clientLock.withLock { client?.interrupt() }
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Waits `seconds`, or less if `stop()` is called.
    private func pause(_ seconds: Double) {
        var poller = pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)
        _ = poll(&poller, 1, Int32(seconds * 1000))
    }

    /// Follows the log until stopped, reconnecting with backoff; a thread posts the firing
    /// alerts again every `repost_interval`. Returns once that thread has ended too.
    public func run() {
        let reposted = DispatchSemaphore(value: 0)
        let reposting = Thread { [self] in
            _ = verifyd_name_thread("verifyd-am-repost")
            repostLoop()
            reposted.signal()
        }
        reposting.start()
        followUntilStopped()
        reposted.wait()  // its pauses and posts end at `stop()`
    }

    private func followUntilStopped() {
        var backoff = 1.0
        while !isStopping {
            do {
                try follow()
                backoff = 1
            } catch {
                if isStopping { return }
                logger.warning("lost the daemon; retrying", metadata: ["alertmanager": "\(target.name)", "error": "\(error)"])
                pause(backoff)
                backoff = min(backoff * 2, 30)
            }
        }
    }

    private func follow() throws {
        let client = try ControlClient(socketPath: socketPath)
        clientLock.withLock { self.client = client }
        defer { clientLock.withLock { self.client = nil } }
        if isStopping { return }
        try client.send(WireProtocol.line(Request(id: 1, cmd: .subscribe, args: AlertsArguments(since: 0))))
        let reply = try JSONDecoder().decode(Reply<SubscribeResult>.self, from: Data(try client.readLine()))
        guard reply.ok, let result = reply.result else {
            throw ClientError(reply.error.map { .daemon($0.code) } ?? .protocolError, "subscribe refused: \(reply.error?.message ?? "no reason")")
        }
        // A new target starts at the end of the log; what fires then is posted all the same.
        let cursor = state.cursor(hook: cursorName) ?? result.last
        if state.cursor(hook: cursorName) == nil { try state.save(cursor: cursor, hook: cursorName) }
        book.withLock { $0 = AlertmanagerBook(host: $0.host) }
        var replayed = result.last == 0
        if replayed { deliver(book.withLock { $0.reposts }, seq: nil) }
        logger.info("following alerts for Alertmanager", metadata: ["alertmanager": "\(target.name)", "since": "\(cursor)"])
        while !isStopping {
            let line = try client.readLine()
            guard let alert = try? JSONDecoder().decode(AlertLine.self, from: Data(line)).alert else { continue }
            let posts = book.withLock { $0.take(alert) }
            if alert.seq > cursor { deliver(posts, seq: alert.seq) }
            if !replayed, alert.seq >= result.last {
                replayed = true
                // What fires after the replay, as Alertmanager may have forgotten it meanwhile.
                deliver(book.withLock { $0.reposts }, seq: nil)
            }
        }
    }

    /// Posts until Alertmanager takes them (or the runner stops), then moves the cursor.
    private func deliver(_ posts: [PostableAlert], seq: Int64?) {
        sending.lock()
        defer { sending.unlock() }
        var attempt = 0
        while !isStopping, let problem = poster.post(posts) {
            let delay = retryDelays[min(attempt, retryDelays.count - 1)]
            logger.warning("Alertmanager did not take the alerts; retrying", metadata: [
                "alertmanager": "\(target.name)", "error": "\(problem)", "retry.seconds": "\(Int(delay))",
            ])
            attempt += 1
            pause(delay)
        }
        guard !isStopping, let seq else { return }
        if !posts.isEmpty { logger.info("posted to Alertmanager", metadata: ["alertmanager": "\(target.name)", "alert.seq": "\(seq)", "alerts": "\(posts.count)"]) }
        do {
            try state.save(cursor: seq, hook: cursorName)
        } catch {
            logger.error("cannot write the Alertmanager cursor", metadata: ["alertmanager": "\(target.name)", "error": "\(error)"])
        }
    }

    private func repostLoop() {
        while !isStopping {
            pause(target.repostInterval)
            let firing = book.withLock { $0.reposts }
            if !firing.isEmpty, !isStopping { deliver(firing, seq: nil) }
        }
    }

    /// FNV-1a of the target's name, 16 hex digits: its cursor's file name.
    static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// An Alertmanager target as a service of `verifyd-hooks`' group: the forwarder runs on a thread
/// it owns (its reads block); graceful shutdown stops it, a post in flight ends with the hooks'.
public struct AlertmanagerService: Service {
    let forwarder: AlertmanagerForwarder

    public init(forwarder: AlertmanagerForwarder) { self.forwarder = forwarder }

    public func run() async throws {
        let forwarder = self.forwarder
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread {
                    _ = verifyd_name_thread("verifyd-am")
                    forwarder.run()
                    done.resume()
                }.start()
            }
        } onGracefulShutdown: {
            forwarder.stop()
        }
    }
}
