#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import VerifyProtocol

/// The progress line on stderr, replaced in place (`\r`, then erase to the end of the line) and
/// cleared before the report. Made only when stderr is a terminal: a file or a pipe gets none.
final class TerminalProgress: Sendable {
    private let fd: Int32
    private let totalBytes: Int64
    private let started: Double
    /// Whether a line is on the screen now (it must be erased before anything else is written),
    /// and whether the run is over (no line may follow the last clear).
    private let state = Mutex((shown: false, closed: false))

    /// A progress line for a run over a file of `totalBytes`, or nil when `fd` is no terminal.
    init?(fd: Int32 = 2, totalBytes: Int64) {
        guard isatty(fd) == 1 else { return nil }
        self.fd = fd
        self.totalBytes = totalBytes
        self.started = Self.now()
    }

    /// The size of the file at `path`, or 0 when it cannot be told.
    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return 0 }
        return Int64(info.st_size)
    }

    /// Shows the line for this moment, replacing the one before.
    func update(entries: Int, bytesRead: Int64) {
        let line = ProgressLine(bytesRead: bytesRead, totalBytes: totalBytes, entries: entries, elapsedSeconds: Self.now() - started)
        show(line.text(width: columns()))
    }

    /// Shows `text`, cut to the terminal's width, in place of the line before.
    func show(_ text: String) {
        state.withLock { state in
            guard !state.closed else { return }
            Output.err("\r" + String(text.prefix(max(columns() - 1, 0))) + "\u{1B}[K")
            state.shown = true
        }
    }

    /// Erases the line, if one is shown; no line is shown after this.
    func clear() {
        state.withLock { state in
            if state.shown { Output.err("\r\u{1B}[K") }
            state = (shown: false, closed: true)
        }
    }

    /// The terminal's width, 80 when it cannot be told.
    func columns() -> Int {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
