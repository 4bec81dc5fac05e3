import CDaemonSupport
import Foundation
import Synchronization
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The control socket: a Unix stream socket (mode 0660, group from the configuration) where
/// each connection gets the hello and then one reply line per request line. Connections are
/// served on threads of their own; a slow or hostile client holds one thread, never the daemon.
public final class ControlServer: Sendable {
    public let path: String
    private let handler: ControlRequestHandler
    private let feed: AlertFeed
    private let hello: [UInt8]
    private let stopped = Atomic<Bool>(false)
    private let listener = Mutex<Int32>(-1)
    /// Open connections and subscriptions, per uid (ConnectionLimits decides).
    private let limits = Mutex(ConnectionLimits())
    /// A connection that sends nothing for this long is closed.
    public static let idleTimeout: Int = 300

    /// The hook runner's uid: not an admin, but its subscription takes the slots kept for them,
    /// so that greedy peers in `socket_group` cannot keep alerts from the hooks.
    private let hookRunnerUID: UInt32?

    public init(path: String, handler: ControlRequestHandler, feed: AlertFeed, hello: Hello, hookRunnerUID: UInt32? = nil) {
        self.path = path
        self.hookRunnerUID = hookRunnerUID
        self.handler = handler
        self.feed = feed
        self.hello = WireProtocol.line(hello)
    }

    /// Binds and listens; then accepts on a thread until `stop()`.
    public func start(group: UInt32?) throws(DaemonError) {
        guard path.utf8.count < 108 else { throw DaemonError("\(path): socket path is longer than 107 bytes") }
        try removeStaleSocket()
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent) {
            try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError("cannot create the control socket: \(errnoText())") }
        // Bind with a umask that leaves no window in which others could connect.
        let oldMask = umask(0o117)
        let bound = UnixSocketAddress.with(path) { bind(fd, $0, $1) } ?? -1
        umask(oldMask)
        guard bound == 0 else {
            let reason = errnoText()
            close(fd)
            throw DaemonError("\(path): cannot bind the control socket: \(reason)")
        }
        if let group, chown(path, UInt32.max, group) != 0 {
            let reason = errnoText()
            close(fd)
            throw DaemonError("\(path): cannot give the socket to group \(group): \(reason)")
        }
        chmod(path, 0o660)
        guard listen(fd, 64) == 0 else {
            let reason = errnoText()
            close(fd)
            throw DaemonError("\(path): cannot listen: \(reason)")
        }
        listener.withLock { $0 = fd }
        let thread = Thread { [self] in self.acceptLoop(fd) }
        thread.name = "verifyd-control"
        thread.start()
    }

    /// Stops accepting and removes the socket file. Connections in progress finish their reply.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        let fd = listener.withLock { fd -> Int32 in
            let old = fd
            fd = -1
            return old
        }
        guard fd >= 0 else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    private func removeStaleSocket() throws(DaemonError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw DaemonError("\(path): exists and is not a socket; refusing to replace it")
        }
        if let client = try? ProbeConnection(path: path) {
            _ = client
            throw DaemonError("\(path): another verifyd is already listening there")
        }
        unlink(path)
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = verifyd_accept_cloexec(fd)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                    continue
                }
                return  // the listener was closed
            }
            guard let peer = PeerCredentials.of(socket: client) else {
                close(client)
                continue
            }
            let admin = isAdmin(peer)
            if let refusal = limits.withLock({ $0.admit(uid: peer.uid, admin: admin) }) {
                // The reply stands where the hello would: a client reads it as `busy`.
                send(client, WireProtocol.line(Reply<PingResult>.failure(id: nil, WireError(.busy, refusal))))
                close(client)
                continue
            }
            let thread = Thread { [self] in
                self.serve(client, peer)
                close(client)
                self.limits.withLock { $0.release(uid: peer.uid, admin: admin) }
            }
            thread.name = "verifyd-connection"
            thread.start()
        }
    }

    /// Whether the peer takes the slots kept for root, the daemon's user, `admin_group` and the
    /// hook runner (for limits only: what it may ask is decided by the handler).
    private func isAdmin(_ peer: PeerCredentials) -> Bool {
        peer.uid == hookRunnerUID || peer.isAdmin(adminGroup: handler.adminGroup, daemonUID: handler.daemonUID)
    }

    private func serve(_ fd: Int32, _ peer: PeerCredentials) {
        var timeout = timeval(tv_sec: Self.idleTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sendTimeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        guard send(fd, hello) else { return }
        var framer = LineFramer()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return }
            for frame in framer.append(chunk[0..<count]) {
                let reply: [UInt8]
                switch frame {
                case .tooLong:
                    reply = WireProtocol.line(Reply<PingResult>.failure(
                        id: nil, WireError(.requestTooLarge, "request line longer than \(WireProtocol.maxLineBytes) bytes; it was skipped")))
                case .line(let line):
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    let response = blockingReply(line, peer)
                    if let after = response.streamAfter {
                        let admin = isAdmin(peer)
                        if let refusal = limits.withLock({ $0.admitSubscriber(uid: peer.uid, admin: admin) }) {
                            let id = (try? JSONDecoder().decode(RequestHead.self, from: Data(line)))?.id
                            guard send(fd, WireProtocol.line(Reply<PingResult>.failure(id: id, WireError(.busy, refusal)))) else { return }
                            continue
                        }
                        defer { limits.withLock { $0.releaseSubscriber(uid: peer.uid, admin: admin) } }
                        guard send(fd, response.line) else { return }
                        stream(fd, after: after)
                        return
                    }
                    guard send(fd, response.line) else { return }
                    continue
                }
                guard send(fd, reply) else { return }
            }
        }
    }

    /// Runs the async handler from this connection's own thread.
    private func blockingReply(_ line: [UInt8], _ peer: PeerCredentials) -> ControlRequestHandler.Response {
        let box = Mutex<ControlRequestHandler.Response?>(nil)
        let done = DispatchSemaphore(value: 0)
        let handler = self.handler
        Task {
            let response = await handler.respond(to: line, from: peer)
            box.withLock { $0 = response }
            done.signal()
        }
        done.wait()
        return box.withLock { $0 ?? ControlRequestHandler.Response(line: [], streamAfter: nil) }
    }

    /// A subscription: alerts after `seq` from the log, then each new one, as
    /// `{"alert":{...},"v":1}` lines, until the peer hangs up or the server stops. Nothing is
    /// queued for the peer: a peer that stops reading blocks this thread until the send timeout
    /// (30 s) closes the connection; it resumes with `since`.
    private func stream(_ fd: Int32, after seq: Int64) {
        var cursor = seq
        while !stopped.load(ordering: .relaxed) {
            let batch = feed.batch(after: cursor)
            if batch.isEmpty {
                feed.wait(after: cursor, seconds: 1)
                if peerHungUp(fd) { return }
                continue
            }
            for (seq, payload) in batch {
                guard send(fd, Array("{\"alert\":\(payload),\"v\":\(WireProtocol.version)}\n".utf8)) else { return }
                cursor = seq
            }
        }
    }

    /// True when the peer closed its end (a subscriber sends nothing after `subscribe`).
    private func peerHungUp(_ fd: Int32) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        if poller.revents & Int16(POLLHUP | POLLERR) != 0 { return true }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0
    }

    @discardableResult
    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}

/// A connect-only probe: succeeds when something listens on the path.
private struct ProbeConnection {
    init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonError("socket") }
        defer { close(fd) }
        guard UnixSocketAddress.with(path, { connect(fd, $0, $1) }) == 0 else { throw DaemonError("not listening") }
    }
}

