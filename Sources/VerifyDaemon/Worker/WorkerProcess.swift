import Foundation
import Synchronization
import VerifyProtocol
import VerifySystem

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
    private let state = Mutex<(pid: pid_t, killedBecause: WorkerKill?)>((0, nil))
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

    /// Kills the worker (the result will say why, with the reason's verdict).
    public func kill(because reason: WorkerKill) {
        let pid = state.withLock { state -> pid_t in
            if state.killedBecause == nil { state.killedBecause = reason }
            return state.pid
        }
        if pid > 0 { _ = Glibc.kill(pid, SIGKILL) }
    }

    func runBlocking(onProgress: @Sendable (WorkerProgress) -> Void, onChecked: @Sendable ([CheckedEntry]) -> Void) -> WorkerResult {
        let started = Date()
        // A clean environment: nothing of systemd's (NOTIFY_SOCKET, WATCHDOG_*) leaks in.
        // No crash backtracer: a crashing parser should end its run at once, not symbolicate.
        var options = ChildProcess.Options(environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8", "SWIFT_BACKTRACE=enable=no"])
        // A checkpoint of a large archive is one line of megabytes: a larger pipe lets the worker
        // write it without waiting for the daemon.
        options.outputPipeSize = 1 << 20
        let child: ChildProcess
        switch ChildProcess.spawn(executable, arguments: [executable, "worker"], options: options) {
        case .success(let spawned): child = spawned
        case .failure(let error) where error.stage == .pipe: return WorkerMain.failed("cannot create a pipe: \(error)")
        case .failure(let error): return WorkerMain.failed("cannot start the worker \(executable): \(error)")
        }
        let pid = child.pid
        let killedEarly = state.withLock { state -> Bool in
            state.pid = pid
            return state.killedBecause != nil
        }
        if killedEarly { _ = Glibc.kill(pid, SIGKILL) }

        var timer: DispatchSourceTimer?
        if timeout > 0 {
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + timeout)
            source.setEventHandler { [self] in self.kill(because: .failed("the worker ran longer than worker_timeout (\(Int(timeout)) s)")) }
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
                if let reason = self.stallWatch.withLock({ $0.stalledReason(at: Self.now()) }) { self.kill(because: .failed(reason)) }
            }
            source.resume()
            watchdog = source
        }
        defer { watchdog?.cancel() }

        child.writeInput(Array(WireProtocol.line(request)))
        let result = readMessages(from: child, onProgress: onProgress, onChecked: onChecked)
        let status = child.wait()
        state.withLock { $0.pid = 0 }
        let killedBecause = state.withLock { $0.killedBecause }

        if let result, killedBecause == nil { return result }
        var failed = WorkerMain.failed(Self.describe(status: status, killedBecause: killedBecause?.message, memoryLimit: request.memoryLimit))
        failed.durationSeconds = Date().timeIntervalSince(started)
        if let killedBecause { failed.verdict = killedBecause.verdict }
        return failed
    }

    /// Why a worker ended without a result, in words.
    static func describe(status: ChildExit, killedBecause: String?, memoryLimit: Int64) -> String {
        if let killedBecause { return killedBecause }
        switch status {
        case .signaled(let signal):
            let name = String(cString: strsignal(signal))
            return "the worker died of signal \(signal) (\(name)) while reading the archive: a parser crash or the worker memory limit (\(memoryLimit >> 20) MiB) was hit"
        case .exited(let code):
            return "the worker exited with status \(code) without a result"
        }
    }

    /// Reads the worker's lines until its result (or the end of its output): progress and
    /// checked entries go to the callbacks and feed the stall watchdog.
    private func readMessages(
        from child: ChildProcess, onProgress: (WorkerProgress) -> Void, onChecked: ([CheckedEntry]) -> Void
    ) -> WorkerResult? {
        var framer = LineFramer(limit: 256 << 20)
        var result: WorkerResult?
        let decoder = JSONDecoder()
        child.readOutput { chunk in
            for frame in framer.append(chunk) {
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
                    return false
                }
            }
            return true
        }
        return result
    }
}
