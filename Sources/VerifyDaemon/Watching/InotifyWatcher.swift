import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Wakes the scanner early when a file is written or moved into a watched folder. Only a hint:
/// the periodic scan stays the source of truth (NFS and CIFS deliver no events from other hosts).
public final class InotifyWatcher: Sendable {
    private let fd: Int32
    private let watches = Mutex<[String: Int32]>([:])
    private let onEvent: @Sendable () -> Void
    private let stopped = Atomic<Bool>(false)

    /// Returns nil when inotify is not available (the scan still works).
    public init?(onEvent: @escaping @Sendable () -> Void) {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.onEvent = onEvent
        let thread = Thread { [self] in self.readLoop() }
        thread.name = "verifyd-inotify"
        thread.start()
    }

    /// Watches exactly these folders (adds new ones, drops the rest).
    public func watch(_ folders: Set<String>) {
        watches.withLock { current in
            for (folder, descriptor) in current where !folders.contains(folder) {
                inotify_rm_watch(fd, descriptor)
                current[folder] = nil
            }
            let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)
                | UInt32(IN_CREATE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)
            for folder in folders where current[folder] == nil {
                let descriptor = inotify_add_watch(fd, folder, mask)
                if descriptor >= 0 { current[folder] = descriptor }
            }
        }
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        watches.withLock { current in
            for descriptor in current.values { inotify_rm_watch(fd, descriptor) }
            current.removeAll()
        }
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while !stopped.load(ordering: .relaxed) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 500)
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                // A removed watch (folder deleted) is re-added by the next scan's watch().
                watches.withLock { current in
                    buffer.withUnsafeBytes { raw in
                        var offset = 0
                        while offset + MemoryLayout<inotify_event>.size <= count {
                            let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                            let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                            let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                            if mask & UInt32(IN_IGNORED) != 0 {
                                if let key = current.first(where: { $0.value == wd })?.key { current[key] = nil }
                            }
                            offset += MemoryLayout<inotify_event>.size + length
                        }
                    }
                }
                onEvent()
            }
        }
        close(fd)
    }
}
