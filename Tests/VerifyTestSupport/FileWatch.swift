import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Waits for a file to change with inotify rather than by polling: a condition on the file is
/// checked again each time it is written (and at least every second, in case a write came
/// between the check and the watch).
public enum FileWatch {
    /// Waits until `condition` holds, checking it at every write to `path`, for at most `seconds`.
    public static func waitUntil(path: String, seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if fd >= 0 { close(fd) } }
        if fd >= 0 { _ = inotify_add_watch(fd, path, UInt32(IN_MODIFY | IN_CLOSE_WRITE)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if condition() { return true }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            guard fd >= 0 else {
                usleep(useconds_t(min(left, 0.05) * 1e6))
                continue
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(min(left, 1) * 1000) + 1) > 0 {
                _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            }
        }
    }
}
