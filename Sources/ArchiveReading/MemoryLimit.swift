#if canImport(Glibc)
import Glibc
#endif

/// The address-space limit (RLIMIT_AS) of a process that parses untrusted archives: a parser
/// that loops allocating (libarchive's `test_read_format_iso_rockridge_ce_loop.iso.Z` grew
/// `verifyctl check` to 2.1 GB) gets an allocation failure, which the reader reports as "out of
/// memory while reading", instead of taking the host's memory.
public enum MemoryLimit {
    /// The daemon's workers' `worker_memory_limit` by default, and `verifyctl check --memory-limit`'s.
    public static let defaultBytes: Int64 = 4 << 30
    /// Less than this and a process cannot start its threads and libraries.
    public static let minimumBytes: Int64 = 256 << 20

    /// Limits this process's address space to `bytes` (soft and hard limit: it cannot be raised
    /// again). False when the kernel refused (a hard limit already lower, say).
    @discardableResult
    public static func apply(_ bytes: Int64) -> Bool {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        return setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0
    }
}
