#if canImport(Glibc)
import Glibc
#endif

/// Opening a file that lies in a destination (an archive, a manifest, a sidecar digest), where
/// anyone who can write a backup can also leave a FIFO, a socket, a device or a symlink under
/// the expected name. The one place that decides what may be read:
/// - the open never blocks (`O_NONBLOCK`: a FIFO with no writer opens at once instead of
///   waiting forever), and `O_NONBLOCK` is cleared again once the file is known to be regular;
/// - a symlink as the last component is not followed (`O_NOFOLLOW`);
/// - the type is checked with `fstat` on the open descriptor (no window between a check and the
///   open): only a regular file is read. Anything else is refused, naming what it is.
public enum DestinationFile {
    /// What a path was found to be, for a refusal that says so.
    public enum Kind: Sendable, Equatable {
        case regular, directory, fifo, socket, characterDevice, blockDevice, symlink, unknown

        init(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: self = .regular
            case S_IFDIR: self = .directory
            case S_IFIFO: self = .fifo
            case S_IFSOCK: self = .socket
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            case S_IFLNK: self = .symlink
            default: self = .unknown
            }
        }

        /// "a FIFO (named pipe)", "a socket"...
        public var phrase: String {
            switch self {
            case .regular: "a regular file"
            case .directory: "a directory"
            case .fifo: "a FIFO (named pipe)"
            case .socket: "a socket"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .symlink: "a symbolic link (not followed)"
            case .unknown: "not a regular file"
            }
        }
    }

    /// Why a file was not opened.
    public enum Problem: Error, Sendable, Equatable {
        case notFound
        case permissionDenied
        case notRegular(Kind)
        case io(String)

        /// "is a FIFO (named pipe), not a regular file", "not found"...
        public var reason: String {
            switch self {
            case .notFound: "not found"
            case .permissionDenied: "is not readable (permission denied)"
            case .notRegular(let kind): "is \(kind.phrase), not a regular file"
            case .io(let message): "is not readable (\(message))"
            }
        }
    }

    /// Opens `path` read-only for reading as a regular file: the descriptor, or why not.
    /// `extraFlags` are added to `O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW`; an `EPERM`
    /// with extra flags (`O_NOATIME` on a file of another owner) is retried without them.
    /// `followingSymlink` opens what a last symlink points to (still a regular file only), for
    /// a caller that has decided a symlink may be followed there.
    public static func open(_ path: String, extraFlags: Int32 = 0, followingSymlink: Bool = false) -> Result<Int32, Problem> {
        // Opening a device can have effects of its own (a tape rewinds): look before opening.
        // The type is checked again on the descriptor, for a file swapped in between.
        if let kind = followingSymlink ? targetKind(of: path) : kind(of: path), kind != .regular { return .failure(.notRegular(kind)) }
        let base = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingSymlink ? 0 : O_NOFOLLOW)
        var fd = Glibc.open(path, base | extraFlags)
        if fd < 0, errno == EPERM, extraFlags != 0 { fd = Glibc.open(path, base) }
        guard fd >= 0 else { return .failure(problem(errno: errno, path: path)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            close(fd)
            return .failure(.io(String(cString: strerror(error))))
        }
        let kind = Kind(mode: info.st_mode)
        guard kind == .regular else {
            close(fd)
            return .failure(.notRegular(kind))
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return .success(fd)
    }

    /// What a path is, without following a last symlink and without opening it (`lstat`).
    public static func kind(of path: String) -> Kind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Kind(mode: info.st_mode)
    }

    /// What a path is, following symlinks (`stat`).
    static func targetKind(of path: String) -> Kind? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Kind(mode: info.st_mode)
    }

    private static func problem(errno error: Int32, path: String) -> Problem {
        switch error {
        case ENOENT: return .notFound
        case EACCES, EPERM: return .permissionDenied
        // O_NOFOLLOW on a symlink is ELOOP; a loop in a middle component is ELOOP too.
        case ELOOP where kind(of: path) == .symlink: return .notRegular(.symlink)
        // A socket cannot be opened at all (ENXIO); a FIFO never gets here with O_NONBLOCK.
        case ENXIO, EOPNOTSUPP:
            if let kind = kind(of: path), kind != .regular { return .notRegular(kind) }
            return .io(String(cString: strerror(error)))
        default: return .io(String(cString: strerror(error)))
        }
    }
}
