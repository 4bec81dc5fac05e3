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

    /// Removes everything inside the folder (not the folder), making read-only folders writable
    /// first: restored trees keep the archive's permissions.
    public static func empty(_ path: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names { remove(path + "/" + name) }
    }

    private static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            chmod(path, 0o700)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { remove(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
