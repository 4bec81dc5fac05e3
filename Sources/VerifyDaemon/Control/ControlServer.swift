import CDaemonSupport
import Foundation
import ServiceLifecycle
import Synchronization
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The control socket: a Unix stream socket (mode 0660, group from the configuration) where
/// each connection gets the hello and then one reply line per request line. A service of the
/// daemon's group: it accepts until graceful shutdown, then stops accepting, ends its
/// connections and removes the socket. Sockets are non-blocking and waited on by
/// `SocketReactor`; each connection is a task (`ControlConnection`), so a slow or hostile
/// client holds a suspended task, never a thread or the daemon.
public final class ControlServer: Service, Sendable {
    public let path: String
    let handler: ControlRequestHandler
    let feed: AlertFeed
    let hello: [UInt8]
    private let listener = Mutex<Int32>(-1)
    /// Open connections and subscriptions, per uid (ConnectionLimits decides).
    let limits = Mutex(ConnectionLimits())
    /// A connection that sends nothing for this long is closed.
    public static let idleTimeout: Double = 300
    /// A reply or alert line the peer does not take within this long closes the connection.
    public static let sendTimeout: Double = 30

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

    /// Binds and listens (before `READY=1`, so that a socket that cannot be had stops the start);
    /// `run()` then accepts.
    public func start(group: UInt32?) throws(DaemonError) {
        guard path.utf8.count < 108 else { throw DaemonError("\(path): socket path is longer than 107 bytes") }
        try removeStaleSocket()
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent) {
            try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
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
    }

    /// Accepts until graceful shutdown (which comes after the daemon's loop has stopped), then
    /// ends the connections and removes the socket file.
    public func run() async throws {
        let fd = listener.withLock { $0 }
        guard fd >= 0 else { return }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while await SocketReactor.shared.wait(fd, for: Int16(POLLIN), timeout: nil) == .ready {
                    var accepted = self.acceptOne(fd)
                    while case .connection(let client, let peer, admin: let admin) = accepted {
                        group.addTask { await ControlConnection(server: self, fd: client, peer: peer, admin: admin).serve() }
                        accepted = self.acceptOne(fd)
                    }
                    // Out of descriptors: the listener stays readable; look again a little later.
                    if case .outOfDescriptors = accepted { try? await Task.sleep(for: .milliseconds(100)) }
                }
                group.cancelAll()
            }
        }
        stop()
    }

    /// Closes the listener and removes the socket file.
    public func stop() {
        let fd = listener.withLock { fd -> Int32 in
            let old = fd
            fd = -1
            return old
        }
        guard fd >= 0 else { return }
        close(fd)
        unlink(path)
    }

    private enum Accepted {
        case connection(Int32, PeerCredentials, admin: Bool)
        case none
        case outOfDescriptors
    }

    /// One admitted connection, if one is waiting. A refused peer gets `busy` where the hello
    /// would be.
    private func acceptOne(_ fd: Int32) -> Accepted {
        while true {
            let client = verifyd_accept_cloexec(fd)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE { return .outOfDescriptors }
                return .none  // EAGAIN: none left
            }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL, 0) | O_NONBLOCK)
            guard let peer = PeerCredentials.of(socket: client) else {
                close(client)
                continue
            }
            let admin = isAdmin(peer)
            if let refusal = limits.withLock({ $0.admit(uid: peer.uid, admin: admin) }) {
                // Best effort on a fresh socket: its buffer is empty.
                _ = ControlConnection.sendNow(client, WireProtocol.line(Reply<PingResult>.failure(id: nil, WireError(.busy, refusal))))
                close(client)
                continue
            }
            return .connection(client, peer, admin: admin)
        }
    }

    /// Whether the peer takes the slots kept for root, the daemon's user, `admin_group` and the
    /// hook runner (for limits only: what it may ask is decided by the handler).
    func isAdmin(_ peer: PeerCredentials) -> Bool {
        peer.uid == hookRunnerUID || peer.isAdmin(adminGroup: handler.adminGroup, daemonUID: handler.daemonUID)
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

