#if canImport(Glibc)
import Glibc
#endif

/// The text of an errno value (`strerror`), by default of the current `errno`.
public func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
