import Foundation
import VerifyProtocol
import VerifySystem

#if canImport(Glibc)
import Glibc
#endif

/// The hooks for an alert kind: executables in the hooks folder named `KIND-…` or `all-…`, in
/// name order. A hook that someone other than root (or the runner's own user) could have
/// changed is refused: it would run with the runner's rights.
public enum HookDirectory {
    public struct Selection: Sendable, Equatable {
        public var runnable: [String]
        /// Paths refused, with why.
        public var refused: [String: String]
    }

    public static func hooks(in directory: String, for kind: String) -> Selection {
        var selection = Selection(runnable: [], refused: [:])
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return selection }
        for name in names.sorted() where applies(name: name, kind: kind) {
            let path = directory + "/" + name
            if let problem = problem(with: path) {
                selection.refused[path] = problem
            } else {
                selection.runnable.append(path)
            }
        }
        return selection
    }

    /// The names of every file in the folder that is a hook of some alert kind (runnable or
    /// not), in name order.
    public static func hookNames(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().filter { name in
            !ignored(name) && (name.hasPrefix("all-") || AlertKind.allCases.contains { name.hasPrefix($0.rawValue + "-") })
        }
    }

    /// True when the hook named `name` is for alerts of `kind`.
    public static func applies(name: String, kind: String) -> Bool {
        !ignored(name) && (name.hasPrefix(kind + "-") || name.hasPrefix("all-"))
    }

    /// Backups of editors and package managers, and hooks switched off.
    static func ignored(_ name: String) -> Bool {
        name.hasSuffix("~") || name.contains(".dpkg-") || name.hasSuffix(".disabled")
    }

    /// Why a hook may not run, or nil.
    public static func problem(with path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return "cannot stat it: \(errnoText())" }
        guard info.st_mode & S_IFMT == S_IFREG else { return "not a regular file" }
        guard info.st_mode & 0o100 != 0 else { return "not executable (chmod 0755 it)" }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            return "owned by uid \(info.st_uid), not by root or the hook runner's user"
        }
        guard info.st_mode & 0o022 == 0 else {
            return "writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))): chmod go-w it"
        }
        return nil
    }
}
