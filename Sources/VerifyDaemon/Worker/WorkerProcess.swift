import CDaemonSupport
import Foundation
import Synchronization
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// One worker process as the daemon sees it: started with `verifyd worker`, fed its request on
/// stdin, read line by line on a thread of its own, and reaped. A worker that dies, hangs past
/// its timeout or says nothing ends as an `error` result with the reason; it never takes the
/// daemon with it.
public final class WorkerProcess: Sendable {
    public let executable: String
    public let request: WorkerRequest
    public let timeout: Double
    /// The stall watchdog's `stall_timeout` (0: none). By default the request's.
    public let stallTimeout: Double
    private let state = Mutex<(pid: pid_t, killedBecause: String?)>((0, nil))
    private let stallWatch: Mutex<WorkerStallWatch>

    public init(executable: String, request: WorkerRequest, timeout: Double, stallTimeout: Double? = nil) {
        self.executable = executable
        self.request = request
        self.timeout = timeout
        self.stallTimeout = stallTimeout ?? request.stallTimeout
        self.stallWatch = Mutex(WorkerStallWatch(stallTimeout: self.stallTimeout, startedAt: Self.now()))
    }

    /// Monotonic seconds, for the stall watchdog.
    static func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// Runs the worker to its end on a new thread and returns its result.
    /// `onChecked` gets the entries read back as the worker reports them (checkpoints, then the
    /// rest), on the reading thread, in order, before the run's result.
    public func run(
        onProgress: @escaping @Sendable (WorkerProgress) -> Void,
        onChecked: @escaping @Sendable ([CheckedEntry]) -> Void = { _ in }
    ) async -> WorkerResult {
        await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                continuation.resume(returning: self.runBlocking(onProgress: onProgress, onChecked: onChecked))
            }
            thread.name = "verifyd-worker"
            thread.start()
        }
    }

    /// Kills the worker (the result will say why).
    public func kill(because reason: String) {
        let pid = state.withLock { state -> pid_t in
            if state.killedBecause == nil { state.killedBecause = reason }
            return state.pid
        }
        if pid > 0 { _ = Glibc.kill(pid, SIGKILL) }
    }

    func runBlocking(onProgress: @Sendable (WorkerProgress) -> Void, onChecked: @Sendable ([CheckedEntry]) -> Void) -> WorkerResult {
        let started = Date()
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard verifyd_pipe_cloexec(&input) == 0 else { return WorkerMain.failed("cannot create a pipe: \(errnoText())") }
        guard verifyd_pipe_cloexec(&output) == 0 else {
            close(input[0]); close(input[1])
            return WorkerMain.failed("cannot create a pipe: \(errnoText())")
        }
        // A checkpoint of a large archive is one line of megabytes: a larger pipe lets the worker
        // write it without waiting for the daemon (best effort: the default is 64 KiB).
        _ = verifyd_pipe_grow(output[1], 1 << 20)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        // Nothing of the daemon's leaks into a worker: no socket, no database, no other pipe.
        _ = verifyd_spawn_close_from(&actions, 3)
        let arguments = [executable, "worker"]
        // A clean environment: nothing of systemd's (NOTIFY_SOCKET, WATCHDOG_*) leaks in.
        // No crash backtracer: a crashing parser should end its run at once, not symbolicate.
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8", "SWIFT_BACKTRACE=enable=no"]
        var pid: pid_t = 0
        let spawned = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, executable, &actions, nil, argv, envp)
            }
        }
        close(input[0])
        close(output[1])
        guard spawned == 0 else {
            close(input[1]); close(output[0])
            return WorkerMain.failed("cannot start the worker \(executable): \(String(cString: strerror(spawned)))")
        }
        let killedEarly = state.withLock { state -> Bool in
            state.pid = pid
            return state.killedBecause != nil
        }
        if killedEarly { _ = Glibc.kill(pid, SIGKILL) }

        var timer: DispatchSourceTimer?
        if timeout > 0 {
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + timeout)
            source.setEventHandler { [self] in self.kill(because: "the worker ran longer than worker_timeout (\(Int(timeout)) s)") }
            source.resume()
            timer = source
        }
        defer { timer?.cancel() }
        // The stall watchdog: from the spawn on, whatever the worker is doing.
        stallWatch.withLock { $0 = WorkerStallWatch(stallTimeout: stallTimeout, startedAt: Self.now()) }
        var watchdog: DispatchSourceTimer?
        if stallTimeout > 0 {
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + 0.25, repeating: 0.25)
            source.setEventHandler { [self] in
                if let reason = self.stallWatch.withLock({ $0.stalledReason(at: Self.now()) }) { self.kill(because: reason) }
            }
            source.resume()
            watchdog = source
        }
        defer { watchdog?.cancel() }

        let requestLine = WireProtocol.line(request)
        requestLine.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(input[1], raw.baseAddress! + offset, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
        close(input[1])

        var framer = LineFramer(limit: 256 << 20)
        var result: WorkerResult?
        var chunk = [UInt8](repeating: 0, count: 65536)
        let decoder = JSONDecoder()
        reading: while true {
            let count = chunk.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            for frame in framer.append(chunk[0..<count]) {
                guard case .line(let line) = frame else { continue }
                if line.first == CheckedEntryLine.marker {
                    stallWatch.withLock { $0.observeOutput(at: Self.now()) }
                    if let entries = CheckedEntryLine.decode(line) { onChecked(entries) }
                    continue
                }
                guard let message = try? decoder.decode(WorkerMessage.self, from: Data(line)) else { continue }
                if let progress = message.progress {
                    stallWatch.withLock { $0.observe(progress, at: Self.now()) }
                    onProgress(progress)
                }
                if let finished = message.result {
                    result = finished
                    break reading
                }
            }
        }
        close(output[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        state.withLock { $0.pid = 0 }
        let killedBecause = state.withLock { $0.killedBecause }

        if let result, killedBecause == nil { return result }
        var failed = WorkerMain.failed(Self.describe(status: status, killedBecause: killedBecause, memoryLimit: request.memoryLimit))
        failed.durationSeconds = Date().timeIntervalSince(started)
        if killedBecause != nil { failed.verdict = killedVerdict(killedBecause) }
        return failed
    }

    private func killedVerdict(_ reason: String?) -> String {
        reason?.hasPrefix("interrupted") == true ? "interrupted" : "error"
    }

    /// Why a worker ended without a result, in words.
    static func describe(status: Int32, killedBecause: String?, memoryLimit: Int64) -> String {
        if let killedBecause { return killedBecause }
        let signal = status & 0x7f
        if signal != 0 {
            let name = String(cString: strsignal(signal))
            return "the worker died of signal \(signal) (\(name)) while reading the archive: a parser crash or the worker memory limit (\(memoryLimit >> 20) MiB) was hit"
        }
        let code = (status >> 8) & 0xff
        return "the worker exited with status \(code) without a result"
    }

    private func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Calls `body` with a NULL-terminated C array of the strings (argv, envp for posix_spawn).
public func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
