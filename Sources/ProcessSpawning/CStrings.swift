#if canImport(Glibc)
import Glibc
#endif

/// Calls `body` with a NULL-terminated C array of the strings (argv, envp for posix_spawn).
public func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
