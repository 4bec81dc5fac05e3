import Foundation
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3), spoken directly: one datagram of `KEY=VALUE` lines to `$NOTIFY_SOCKET`
/// (a path, or an abstract address written with a leading `@`). Without `$NOTIFY_SOCKET` it
/// does nothing, so the daemon runs the same outside systemd.
public struct SystemdNotifier: Sendable {
    public let socketAddress: String?
    /// Half of `$WATCHDOG_USEC` (when it is meant for this process), in seconds.
    public let watchdogInterval: Double?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketAddress = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true
        {
            watchdogInterval = usec / 1e6 / 2
        } else {
            watchdogInterval = nil
        }
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    public func status(_ text: String) { send("STATUS=\(text)") }
    public func watchdog() { send("WATCHDOG=1") }
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)")
    }
    public func stopping() { send("STOPPING=1") }

    /// Sends one datagram; returns false when it could not be delivered.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketAddress, socketAddress.hasPrefix("/") || socketAddress.hasPrefix("@") else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let payload = Array(message.utf8)
        let sent = UnixSocketAddress.with(socketAddress) { address, length in
            payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
        }
        return sent == payload.count
    }
}
