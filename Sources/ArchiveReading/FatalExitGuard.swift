import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// libarchive ends the whole process with `exit(1)` where it cannot return an error: an
/// allocation that fails in its string code prints "Fatal Internal Error in libarchive: Out of
/// memory" and exits, which `verifyctl check` would report as exit 1, "the backup is bad", with
/// no report at all. Armed around a run, this guard turns that exit into the caller's own last
/// words (a report saying what happened) and exit status.
public enum FatalExitGuard {
    private static let lastWords = Mutex<(@Sendable (_ outOfMemory: Bool) -> Int32)?>(nil)
    private static let registered = Atomic<Bool>(false)
    private static let limit = Atomic<Int64>(0)

    /// Until `disarm()`, an `exit` from anywhere in the process calls `lastWords` (on the
    /// exiting thread) and ends the process with the status it returns. `outOfMemory`: the
    /// exit came after an allocation failed (errno ENOMEM, or the address space at `limit`).
    public static func arm(limit: Int64, _ lastWords: @escaping @Sendable (_ outOfMemory: Bool) -> Int32) {
        self.limit.store(limit, ordering: .relaxed)
        self.lastWords.withLock { $0 = lastWords }
        if !registered.exchange(true, ordering: .relaxed) {
            atexit { FatalExitGuard.fire() }
        }
    }

    public static func disarm() {
        lastWords.withLock { $0 = nil }
    }

    private static func fire() {
        // libarchive's realloc failed with ENOMEM just before it wrote its message and exited.
        let failedAllocation = errno == ENOMEM
        guard let words = lastWords.withLock({ words in defer { words = nil }; return words }) else { return }
        let nearLimit = (peakAddressSpace() ?? 0) > limit.load(ordering: .relaxed) - (64 << 20)
        _exit(words(failedAllocation || nearLimit))
    }

    /// The most address space this process has used (VmPeak), in bytes.
    public static func peakAddressSpace() -> Int64? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            guard text.hasPrefix("VmPeak:") else { continue }
            return text.split(separator: " ").dropFirst().first.flatMap { Int64($0) }.map { $0 * 1024 }
        }
        return nil
    }
}
