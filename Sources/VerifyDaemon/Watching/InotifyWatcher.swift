import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Wakes the scanner early when a file is written or moved into a watched folder, and says which
/// folders changed, so that only their destinations are scanned again. Only a hint: the periodic
/// scan stays the source of truth (NFS and CIFS deliver no events from other hosts).
/// A service of the daemon's group: its descriptor is non-blocking and waited on by
/// `SocketReactor` until graceful shutdown.
public final class InotifyWatcher: Service, Sendable {
    /// The folders watched, both ways (an event names its watch descriptor).
    struct Watches {
        var byFolder: [String: Int32] = [:]
        var byDescriptor: [Int32: String] = [:]
    }

    /// What changed: these folders, or (the kernel's event queue overflowed) possibly any.
    public enum Change: Sendable, Equatable {
        case folders(Set<String>)
        case unknown
    }

    private let fd: Int32
    private let watches = Mutex<Watches>(Watches())
    private let onEvent: @Sendable (Change) -> Void

    /// Returns nil when inotify is not available (the scan still works).
    public init?(onEvent: @escaping @Sendable (Change) -> Void) {
        fd = inotify_init1(Int32(IN_CLOEXEC) | Int32(IN_NONBLOCK))
        guard fd >= 0 else { return nil }
        self.onEvent = onEvent
    }

    deinit { close(fd) }

    /// Reads events until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while await SocketReactor.shared.wait(self.fd, for: Int16(POLLIN), timeout: nil) == .ready {
                self.readEvents()
            }
        }
    }

    /// Watches exactly these folders (adds new ones, drops the rest).
    public func watch(_ folders: Set<String>) {
        watches.withLock { current in
            for (folder, descriptor) in current.byFolder where !folders.contains(folder) {
                inotify_rm_watch(fd, descriptor)
                current.byFolder[folder] = nil
                current.byDescriptor[descriptor] = nil
            }
            for folder in folders where current.byFolder[folder] == nil {
                let descriptor = inotify_add_watch(fd, folder, Self.mask)
                if descriptor >= 0 {
                    current.byFolder[folder] = descriptor
                    current.byDescriptor[descriptor] = folder
                }
            }
        }
    }

    /// Starts watching `added` and stops watching `removed` (one destination's folders changed).
    public func watch(adding added: [String], removing removed: [String]) {
        watches.withLock { current in
            for folder in removed {
                guard let descriptor = current.byFolder.removeValue(forKey: folder) else { continue }
                inotify_rm_watch(fd, descriptor)
                current.byDescriptor[descriptor] = nil
            }
            for folder in added where current.byFolder[folder] == nil {
                let descriptor = inotify_add_watch(fd, folder, Self.mask)
                if descriptor >= 0 {
                    current.byFolder[folder] = descriptor
                    current.byDescriptor[descriptor] = folder
                }
            }
        }
    }

    static let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)
        | UInt32(IN_CREATE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)

    public func stop() {
        watches.withLock { current in
            for descriptor in current.byFolder.values { inotify_rm_watch(fd, descriptor) }
            current = Watches()
        }
    }

    /// Reads the events queued now (without waiting) and reports the folders they name.
    func readEvents() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return }
        var folders = Set<String>()
        var overflow = false
        // A removed watch (folder deleted) is re-added by the next scan's watch().
        watches.withLock { current in
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { overflow = true }
                    if let folder = current.byDescriptor[wd] {
                        folders.insert(folder)
                        if mask & UInt32(IN_IGNORED) != 0 {
                            current.byDescriptor[wd] = nil
                            current.byFolder[folder] = nil
                        }
                    }
                    offset += MemoryLayout<inotify_event>.size + length
                }
            }
        }
        onEvent(overflow ? .unknown : .folders(folders))
    }
}
