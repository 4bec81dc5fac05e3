import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Lists the archives of a destination: files whose names (or relative paths, for patterns with
/// a `/`) match the patterns, in the folder and its subfolders. Hidden files (names starting
/// with `.`, as rsync and most tools use while writing) are never archives. Only reads.
public enum DestinationScanner {
    static let maxDepth = 8

    public static func scan(_ destination: DestinationConfiguration) -> ScanOutcome {
        var info = stat()
        guard stat(destination.path, &info) == 0 else {
            return .unavailable(reason: "\(destination.path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            return .unavailable(reason: "\(destination.path): not a directory")
        }
        var archives: [ArchiveFile] = []
        var folders: [String] = []
        if let problem = walk(destination.path, relative: "", depth: 0, destination, &archives, &folders) {
            return .unavailable(reason: problem)
        }
        return .found(archives: archives, folders: folders)
    }

    /// Returns a problem when the top folder cannot be read.
    private static func walk(
        _ folder: String, relative: String, depth: Int, _ destination: DestinationConfiguration,
        _ archives: inout [ArchiveFile], _ folders: inout [String]
    ) -> String? {
        guard let dir = opendir(folder) else {
            return depth == 0 ? "\(folder): \(String(cString: strerror(errno)))" : nil
        }
        defer { closedir(dir) }
        folders.append(folder)
        var subfolders: [(String, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = folder + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if depth + 1 < maxDepth { subfolders.append((path, relativePath)) }
            case S_IFREG:
                guard matches(name: name, relativePath: relativePath, patterns: destination.archives) else { continue }
                let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                archives.append(ArchiveFile(
                    path: path, size: Int64(info.st_size), mtime: mtime,
                    companionsReady: companions(of: path, destination).allSatisfy(isPresent)))
            default:
                continue
            }
        }
        for (path, relativePath) in subfolders {
            _ = walk(path, relative: relativePath, depth: depth + 1, destination, &archives, &folders)
        }
        return nil
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
}
