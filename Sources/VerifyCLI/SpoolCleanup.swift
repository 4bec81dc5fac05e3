#if canImport(Glibc)
import Glibc
#endif

/// Removes the spool copy of a stream when verifyctl is ended by SIGINT, SIGTERM or SIGHUP (a
/// backup job cancelled, Ctrl-C), so that a copy of the size of the stream is not left behind;
/// the signal then ends the process as it would have. Only async-signal-safe calls (unlink,
/// rmdir, signal, raise) run in the handler, on paths prepared before it is installed.
enum SpoolCleanup {
    /// The copy and its private folder, as C strings made before the handler is installed.
    /// Written only by `arm` and `disarm` on the main thread, read by the handler.
    nonisolated(unsafe) private static var file: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var folder: UnsafeMutablePointer<CChar>?
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func arm(path: String) {
        file = strdup(path)
        folder = strdup(String(path[..<path.lastIndex(of: "/")!]))
        // A parent may have left them blocked (a test runner does): a cancelled job must still end us.
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for number in signals {
            signal(number) { received in
                if let file = SpoolCleanup.file { unlink(file) }
                if let folder = SpoolCleanup.folder { rmdir(folder) }
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    /// Back to the default actions (the copy is removed by its owner now).
    static func disarm() {
        for number in signals { signal(number, SIG_DFL) }
    }
}
