import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes the report page: whole or not at all (a temporary file renamed over the target), and
/// never into a destination's folder, where it would be taken for a backup or overwrite one.
enum ReportFile {
    static func write(_ page: String, to path: String, destinations: [String]) throws(CommandError) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let target = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
        let folder = (target as NSString).deletingLastPathComponent
        let resolvedFolder = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        for destination in destinations {
            let root = URL(fileURLWithPath: destination).standardizedFileURL.resolvingSymlinksInPath().path
            if resolvedFolder == root || resolvedFolder.hasPrefix(root + "/") {
                throw CommandError(description: "\(path): inside the destination folder \(destination); a report is never written into a destination")
            }
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isFolder), isFolder.boolValue {
            throw CommandError(description: "\(path): is a folder; give a file name")
        }
        let temporary = folder + "/.\((target as NSString).lastPathComponent).\(getpid()).tmp"
        // Never through a symlink or over a file someone left there.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandError(description: "\(path): cannot write in \(folder): \(String(cString: strerror(errno)))") }
        let bytes = Array(page.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw CommandError(description: "\(path): cannot write: \(reason)")
            }
            offset += n
        }
        close(fd)
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CommandError(description: "\(path): cannot replace it: \(reason)")
        }
    }
}
