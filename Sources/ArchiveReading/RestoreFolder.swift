import Foundation

/// The scratch folder of a restore: made empty before, emptied after.
public enum RestoreFolder {
    /// Creates the folder if needed and requires it empty; returns its absolute path.
    public static func prepare(_ path: String) throws(ArchiveReadError) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var info = stat()
        if stat(absolute, &info) != 0 {
            do {
                try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ArchiveReadError(code: .io, message: "cannot create the restore folder", path: absolute)
            }
        } else if info.st_mode & S_IFMT != S_IFDIR {
            throw ArchiveReadError(code: .notAFile, message: "the restore folder is not a directory", path: absolute)
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: absolute)) ?? []
        guard contents.isEmpty else {
            throw ArchiveReadError(code: .io, message: "the restore folder is not empty (\(contents.count) item(s)); it must be empty", path: absolute)
        }
        return absolute
    }

    /// Removes everything inside the folder (not the folder), at any depth, making folders
    /// writable first (restored trees keep the archive's permissions). The walk holds one
    /// descriptor at a time and uses `openat`/`unlinkat` with single names, so that a tree
    /// nested beyond PATH_MAX, which no path string can name, is removed too. Symlinks inside
    /// are removed, never followed (the folder itself may be one: `--restore-to` a symlink).
    /// Returns the number of items that could not be removed.
    @discardableResult
    public static func empty(_ path: String) -> Int {
        let root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { return 0 }
        defer { close(root) }
        return emptyDirectory(root)
    }

    /// Empties the directory `root` refers to (which stays open). Returns what was left.
    static func emptyDirectory(_ root: Int32) -> Int {
        var fd = fcntl(root, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { return 1 }
        var left = 0
        // One level per directory entered: the names still to remove there.
        var stack: [(names: [[CChar]], next: Int)] = [(DirectoryNames.list(fd) ?? [], 0)]
        while let level = stack.last {
            if level.next == level.names.count {
                stack.removeLast()
                guard let parentLevel = stack.last else { break }
                let parent = DirectoryNames.openParent(fd)
                close(fd)
                fd = parent
                guard fd >= 0 else { return left + 1 }
                if unlinkat(fd, parentLevel.names[parentLevel.next - 1], AT_REMOVEDIR) != 0 { left += 1 }
                continue
            }
            let name = level.names[level.next]
            stack[stack.count - 1].next += 1
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                if unlinkat(fd, name, 0) != 0 { left += 1 }
                continue
            }
            _ = fchmodat(fd, name, 0o700, 0)
            let child = DirectoryNames.openChild(fd, name)
            guard child >= 0 else {
                left += 1
                continue
            }
            close(fd)
            fd = child
            stack.append((DirectoryNames.list(fd) ?? [], 0))
        }
        close(fd)
        return left
    }
}
