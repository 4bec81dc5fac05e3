import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Looks at an archive and its companions on disk: their identity (`stat`) and whether a process
/// on this host has one open for writing.
///
/// The writer check takes a read lease (`fcntl(F_SETLEASE, F_RDLCK)`) and drops it at once. The
/// kernel refuses a read lease with `EAGAIN` while any process has the file open for writing,
/// whatever its user, mount namespace or container (it counts the inode's writers), which a
/// scan of `/proc/*/fd` cannot promise (it misses processes hidden by `ProtectProc=` or
/// `hidepid=` and races with renames) and the inotify stream cannot either (it knows nothing of
/// writers that opened the file before verifyd started). A lease needs the file's owner or
/// `CAP_LEASE`; network filesystems refuse leases: then the answer is `.unknown` and only the
/// change-after-run rule protects the run.
public enum WriterCheck {
    /// From <fcntl.h> (Linux, `_GNU_SOURCE`).
    static let setLease: Int32 = 1024
    /// Probes the files, in order. Blocking: call it off the daemon's actor.
    public static func probe(_ paths: [String]) -> ArchiveProbe {
        ArchiveProbe(files: paths.map { path in
            ArchiveProbe.File(path: path, identity: identity(of: path), writer: writer(of: path))
        })
    }

    /// The file's identity, following a symlink as the scanner does; nil when it cannot be read.
    public static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(
            size: Int64(info.st_size), mtime: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9,
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }

    /// Whether a process has the file open for writing. The file is opened read-only, without
    /// blocking (a FIFO or a file under another's write lease would block) and without following
    /// a symlink.
    public static func writer(of path: String) -> WriterState {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return .none }
            if code == ELOOP { return .notRegular("\(path) is a symbolic link") }
            if code == EWOULDBLOCK { return .writing }  // another process holds a write lease
            return .unknown("cannot open \(path): \(errnoText(code))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .unknown("cannot examine \(path): \(errnoText())") }
        guard info.st_mode & S_IFMT == S_IFREG else { return .notRegular("\(path) is not a regular file") }
        if fcntl(fd, setLease, Int32(F_RDLCK)) == 0 {
            // Held for a few microseconds: a writer opening the file now waits that long. Its
            // break signal (SIGIO) is ignored by the daemon.
            _ = fcntl(fd, setLease, Int32(F_UNLCK))
            return .none
        }
        let code = errno
        if code == EAGAIN { return .writing }
        return .unknown("no read lease on \(path): \(errnoText(code))")
    }
}
