#if canImport(Glibc)
import Glibc
#endif

/// The names in an open directory (without `.` and `..`), as NUL-terminated C strings ready for
/// the `*at` calls. The walks over restore folders use descriptors and these names, never path
/// strings: a restored tree may nest deeper than PATH_MAX.
enum DirectoryNames {
    /// Lists the directory `fd` refers to; `fd` stays open and usable. Nil when it cannot be read.
    static func list(_ fd: Int32) -> [[CChar]]? {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return nil }
        guard let dir = fdopendir(copy) else {
            close(copy)
            return nil
        }
        defer { closedir(dir) }
        // The copy shares the offset with `fd`: start from the top whatever was read before.
        rewinddir(dir)
        var names: [[CChar]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 }.map { CChar(bitPattern: $0) })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name + [0])
        }
        return names
    }

    /// The bytes of a name from `list`, without its NUL.
    static func bytes(_ name: [CChar]) -> [UInt8] {
        name.dropLast().map { UInt8(bitPattern: $0) }
    }

    /// Opens the subdirectory `name` of `fd` without following a symlink.
    static func openChild(_ fd: Int32, _ name: [CChar]) -> Int32 {
        openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    }

    /// Opens the parent of `fd` (the way back up a walk that holds one descriptor at a time).
    static func openParent(_ fd: Int32) -> Int32 {
        openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }
}
