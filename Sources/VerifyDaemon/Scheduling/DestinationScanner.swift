import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Lists the archives of a destination: files whose names (or relative paths, for patterns with
/// a `/`) match the patterns, in the folder and its subfolders. Hidden files (names starting
/// with `.`, as rsync and most tools use while writing) are never archives. Only reads.
///
/// A destination is not trusted: symlinked folders are never followed, and each folder is
/// visited once (by device and inode, so bind mounts cannot loop); a symlinked archive counts
/// only with `follow_symlinks`, as the regular file it points to inside the destination; the
/// scan stops after `max_scan_entries` entries. Folders are opened relative to their parent,
/// without following links, and checked on the descriptor.
public enum DestinationScanner {
    static let maxDepth = 8

    public static func scan(_ destination: DestinationConfiguration) -> ScanOutcome {
        let fd = open(destination.path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOTDIR ? "not a directory" : errnoText()
            return .unavailable(reason: "\(destination.path): \(reason)")
        }
        var walk = Walk(destination: destination)
        guard walk.enter(fd, path: destination.path, relative: "", depth: 0) else {
            return .unavailable(reason: "\(destination.path): \(errnoText())")
        }
        return .found(archives: walk.archives, folders: walk.folders, notes: walk.notes)
    }

    static func matches(name: String, relativePath: String, patterns: [String]) -> Bool {
        patterns.contains { pattern in
            pattern.contains("/")
                ? fnmatch(pattern, relativePath, FNM_PATHNAME) == 0
                : fnmatch(pattern, name, 0) == 0
        }
    }

    /// Something is there under the name (`lstat`: a dangling or looping symlink is there too,
    /// and its run says what it is instead of waiting for it as if it were still to come).
    static func isPresent(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The files a run of this archive needs beside it.
    public static func companions(of archive: String, _ destination: DestinationConfiguration) -> [String] {
        var files: [String] = []
        if case .file(let template) = destination.manifest { files.append(PathTemplate(template).path(for: archive)) }
        if let template = destination.archiveDigest { files.append(PathTemplate(template).path(for: archive)) }
        return files
    }

    /// A folder's identity: each is visited once.
    struct FolderID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// One scan's state.
    struct Walk {
        let destination: DestinationConfiguration
        var archives: [ArchiveFile] = []
        var folders: [String] = []
        var notes = ScanNotes()
        var visited: Set<FolderID> = []
        var archivePaths: Set<String> = []
        /// The destination's real path (symlinks resolved), to keep link targets inside it.
        lazy var realRoot: String? = Self.realPath(destination.path)

        init(destination: DestinationConfiguration) {
            self.destination = destination
        }

        var stopped: Bool { notes.limitReached != nil }

        /// Lists one opened folder (the descriptor is taken over) and its subfolders. False
        /// when the folder cannot be listed (errno says why).
        mutating func enter(_ fd: Int32, path folder: String, relative: String, depth: Int) -> Bool {
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                close(fd)
                errno = ENOTDIR
                return false
            }
            guard visited.insert(FolderID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))).inserted else {
                close(fd)
                return true
            }
            guard let dir = fdopendir(fd) else {
                let saved = errno
                close(fd)
                errno = saved
                return false
            }
            defer { closedir(dir) }
            folders.append(folder)
            var subfolders: [(name: [CChar], path: String, relative: String)] = []
            while !stopped, let entry = readdir(dir) {
                let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
                notes.entriesVisited += 1
                if notes.entriesVisited > destination.maxScanEntries {
                    notes.limitReached = destination.maxScanEntries
                    break
                }
                if bytes.first == 0x2E { continue }
                let cName = bytes.map { CChar(bitPattern: $0) } + [0]
                guard let name = String(validating: bytes, as: UTF8.self) else {
                    let shown = String(decoding: bytes, as: UTF8.self)
                    if matches(shown, relative) { notes.skip(folder + "/" + shown, .undecodableName) }
                    continue
                }
                let path = folder + "/" + name
                let relativePath = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard fstatat(dirfd(dir), cName, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    if depth + 1 < maxDepth { subfolders.append((cName, path, relativePath)) }
                case S_IFREG:
                    guard matches(name, relativePath) else { continue }
                    add(path, info)
                case S_IFLNK:
                    guard matches(name, relativePath) else { continue }
                    followLink(path)
                default:
                    if matches(name, relativePath) { notes.skip(path, .notRegularFile) }
                }
            }
            for subfolder in subfolders where !stopped {
                let child = openat(dirfd(dir), subfolder.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                // Replaced by a link or removed since it was listed: left out.
                guard child >= 0 else { continue }
                _ = enter(child, path: subfolder.path, relative: subfolder.relative, depth: depth + 1)
            }
            return true
        }

        func matches(_ name: String, _ relativePath: String) -> Bool {
            DestinationScanner.matches(name: name, relativePath: relativePath, patterns: destination.archives)
        }

        mutating func add(_ path: String, _ info: stat) {
            guard archivePaths.insert(path).inserted else { return }
            let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            archives.append(ArchiveFile(
                path: path, size: Int64(info.st_size), mtime: mtime,
                companionsReady: companions(of: path, destination).allSatisfy(isPresent)))
        }

        /// A symlinked archive counts as the regular file it points to, named by its path in the
        /// destination, when `follow_symlinks` is on and that file is inside the destination.
        mutating func followLink(_ path: String) {
            guard destination.followSymlinks else { return notes.skip(path, .symlink) }
            guard let root = realRoot, let target = Self.realPath(path),
                  target.hasPrefix(root == "/" ? "/" : root + "/")
            else { return notes.skip(path, .linkLeavesDestination) }
            var info = stat()
            guard lstat(target, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return notes.skip(path, .linkNotToFile) }
            // The target by the destination's own spelling, so that it is the same archive as
            // when it is found directly.
            let below = target.dropFirst(root == "/" ? 1 : root.count + 1)
            add((destination.path == "/" ? "" : destination.path) + "/" + below, info)
        }

        static func realPath(_ path: String) -> String? {
            guard let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
    }
}
