import Foundation
import Synchronization
#if canImport(Testing)
import Testing
#endif

/// Whether a built binary is older than a source file it is built from: a test that spawns
/// `verifyd`, `verifyctl` or `verifyd-hooks` would otherwise test yesterday's code.
///
/// The sources compared are those of the modules the binary links, read from SwiftPM's link list
/// (`.build/debug/NAME.product/Objects.LinkFileList`): SwiftPM relinks a binary only when one of
/// its own objects changed, so a binary that does not link the module that changed stays older
/// than that module's files, rightly. A source is stale only if the compiler has not seen it
/// since it changed either: a file touched but not changed is compiled again to the same object,
/// which the compiler does not rewrite, and the binary is not relinked; its `.d`/`.swiftdeps`
/// files in `MODULE.build` are rewritten, though. Without a link list nothing is said.
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
        if let problem = problem(of: binary) {
            #if canImport(Testing)
            Issue.record(Comment(rawValue: problem))
            #else
            FileHandle.standardError.write(Data((problem + "\n").utf8))
            #endif
        }
        return binary
    }

    private static let checked = Mutex<[String: String?]>([:])

    /// Compares the binary's modification time with the newest source of the modules it links
    /// that the compiler has not seen since it changed.
    public static func judge(_ binary: String, root: String) -> String? {
        guard let built = modificationTime(binary),
              let list = try? String(contentsOfFile: linkList(of: binary), encoding: .utf8)
        else { return nil }
        var stale: (path: String, time: Double)?
        for module in modules(linkList: list, root: root) {
            guard let newest = newestFile(in: [module.sources], endingIn: [".swift", ".c", ".h"]), newest.time > built,
                  newest.time > newestFile(in: [module.build], endingIn: [".d", ".swiftdeps"])?.time ?? -.infinity,
                  newest.time > stale?.time ?? -.infinity
            else { continue }
            stale = newest
        }
        guard let newest = stale else { return nil }
        let relative = newest.path.hasPrefix(root + "/") ? String(newest.path.dropFirst(root.count + 1)) : newest.path
        let name = (binary as NSString).lastPathComponent
        return "binary \(name) is older than \(relative): run swift build (\(binary) was built before that file changed)"
    }

    /// `.build/debug/verifyd` -> `.build/debug/verifyd.product/Objects.LinkFileList`.
    public static func linkList(of binary: String) -> String {
        binary + ".product/Objects.LinkFileList"
    }

    /// The modules of the objects in a link list (one path a line, `.../MODULE.build/FILE.o`, maybe
    /// quoted): their source folder (`Sources/MODULE`) and build folder. Modules outside
    /// `Sources/` (packages) are left out.
    static func modules(linkList: String, root: String) -> [(sources: String, build: String)] {
        var builds: [String: String] = [:]
        for line in linkList.split(whereSeparator: \.isNewline) {
            let path = line.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
            let folder = (path as NSString).deletingLastPathComponent
            guard folder.hasSuffix(".build") else { continue }
            // An executable's module is named with '_' for '-' (verifyd_hooks for verifyd-hooks).
            builds[String((folder as NSString).lastPathComponent.dropLast(".build".count))] = folder
        }
        var modules: [(sources: String, build: String)] = []
        for (module, build) in builds.sorted(by: { $0.key < $1.key }) {
            for name in [module, module.replacingOccurrences(of: "_", with: "-")] {
                var isFolder: ObjCBool = false
                let folder = root + "/Sources/" + name
                if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue {
                    modules.append((folder, build))
                    break
                }
            }
        }
        return modules
    }

    /// The newest file under the folders, of those whose names end in one of `suffixes`.
    static func newestFile(in folders: [String], endingIn suffixes: [String]) -> (path: String, time: Double)? {
        var newest: (path: String, time: Double)?
        for folder in folders {
            let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
            for file in files where suffixes.contains(where: { file.hasSuffix($0) }) {
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
