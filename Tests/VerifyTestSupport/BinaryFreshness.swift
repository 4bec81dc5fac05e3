import Foundation
import Synchronization
import Testing

/// Whether a built binary is older than a source file it is built from: a test that spawns
/// `verifyd`, `verifyctl` or `verifyd-hooks` would otherwise test yesterday's code.
///
/// The sources compared are those of the modules the binary links, read from SwiftPM's link list
/// (`.build/debug/NAME.product/Objects.LinkFileList`): SwiftPM relinks a binary only when one of
/// its own objects changed, so a binary that does not link the module that changed stays older
/// than that module's files, rightly. Without a link list (another build system) nothing is said.
public enum BinaryFreshness {
    /// The problem with `binary`, checked once per binary per test process; nil when it is fresh
    /// or cannot be judged.
    public static func problem(of binary: String, root: String = Tool.repositoryRoot) -> String? {
        checked.withLock { checked in
            if let known = checked[binary] { return known }
            let problem = judge(binary, root: root)
            checked[binary] = .some(problem)
            return problem
        }
    }

    /// Records the problem as a test issue (the test fails with it) and returns the binary.
    public static func checked(_ binary: String) -> String {
        if let problem = problem(of: binary) { Issue.record(Comment(rawValue: problem)) }
        return binary
    }

    private static let checked = Mutex<[String: String?]>([:])

    /// Compares the binary's modification time with the newest source of the modules it links.
    public static func judge(_ binary: String, root: String) -> String? {
        guard let built = modificationTime(binary),
              let list = try? String(contentsOfFile: linkList(of: binary), encoding: .utf8)
        else { return nil }
        let folders = sourceFolders(linkList: list, root: root)
        guard let newest = newestSource(in: folders), newest.time > built else { return nil }
        let relative = newest.path.hasPrefix(root + "/") ? String(newest.path.dropFirst(root.count + 1)) : newest.path
        let name = (binary as NSString).lastPathComponent
        return "binary \(name) is older than \(relative): run swift build (\(binary) was built before that file changed)"
    }

    /// `.build/debug/verifyd` -> `.build/debug/verifyd.product/Objects.LinkFileList`.
    public static func linkList(of binary: String) -> String {
        binary + ".product/Objects.LinkFileList"
    }

    /// The source folders (`Sources/MODULE`) of the objects in a link list: one object path a line,
    /// `.../MODULE.build/FILE.o`, maybe quoted. Modules outside `Sources/` (packages) are left out.
    static func sourceFolders(linkList: String, root: String) -> [String] {
        var modules: Set<String> = []
        for line in linkList.split(whereSeparator: \.isNewline) {
            let path = line.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
            let parts = path.split(separator: "/")
            guard let folder = parts.dropLast().last, folder.hasSuffix(".build") else { continue }
            // An executable's module is named with '_' for '-' (verifyd_hooks for verifyd-hooks).
            modules.insert(String(folder.dropLast(".build".count)))
        }
        var folders: [String] = []
        for module in modules.sorted() {
            for name in [module, module.replacingOccurrences(of: "_", with: "-")] {
                var isFolder: ObjCBool = false
                let folder = root + "/Sources/" + name
                if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue {
                    folders.append(folder)
                    break
                }
            }
        }
        return folders
    }

    /// The newest `.swift`, `.c` or `.h` file under the folders.
    static func newestSource(in folders: [String]) -> (path: String, time: Double)? {
        var newest: (path: String, time: Double)?
        for folder in folders {
            let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
            for file in files where [".swift", ".c", ".h"].contains(where: { file.hasSuffix($0) }) {
                let path = folder + "/" + file
                guard let time = modificationTime(path) else { continue }
                if time > newest?.time ?? -.infinity { newest = (path, time) }
            }
        }
        return newest
    }

    /// Seconds since 1970, to the nanosecond the file system keeps.
    static func modificationTime(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }
}
