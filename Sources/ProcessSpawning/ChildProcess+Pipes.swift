#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// Writes `bytes` to the child's stdin, then closes it. Stops early when the child does not
    /// read them all (see `writeAll(_:to:)`). Nothing to do when its stdin is not a pipe.
    public func writeInput(_ bytes: [UInt8]) {
        guard let input else { return }
        Self.writeAll(bytes, to: input)
        close(input)
    }

    /// Writes `bytes` to the pipe `descriptor` until done or the reader is gone. A reader that
    /// exited never kills the caller with SIGPIPE, which is blocked on this thread for the write
    /// and, when the write raised it, taken back. Returns false when the reader was gone.
    @discardableResult
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        var brokenPipe = false
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                if n < 0, errno == EPIPE { brokenPipe = true }
                if n <= 0 { break }
                offset += n
            }
        }
        if brokenPipe, sigismember(&previous, SIGPIPE) == 0 {
            var now = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&pipeSignal, nil, &now)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        return !brokenPipe
    }

    /// Reads the child's output chunk by chunk until its end (or a read error), or until `body`
    /// returns false; then closes it.
    public func readOutput(_ body: (ArraySlice<UInt8>) -> Bool) {
        Self.readAll(from: output, body)
        close(output)
    }

    /// Reads `descriptor` chunk by chunk until its end (or a read error), or until `body` returns
    /// false. The caller closes it.
    public static func readAll(from descriptor: Int32, _ body: (ArraySlice<UInt8>) -> Bool) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 || !body(chunk[0..<count]) { break }
        }
    }

    /// Waits for the child to end, and reaps it.
    public func wait() -> ChildExit {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return ChildExit(waitStatus: status)
    }
}
