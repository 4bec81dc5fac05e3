import Foundation
import Logging
import Synchronization
import VerifyClient
import VerifyProtocol
import VerifySystem

/// `verifyd-hooks`: follows the daemon's alert log over its socket and hands each alert to
/// every hook's own lane (`HookLane`). Each hook has its own cursor, written to disk after its
/// run, so delivery is at least once and in order per hook, and a hook that keeps failing or
/// asks to be retried delays no other hook. A restart of either process repeats at most the
/// alert in progress for each hook and never loses one.
public final class HookRunner: @unchecked Sendable {
    let configuration: HookConfiguration
    let socketPath: String
    let logger: Logger
    let state: HookRunnerState
    /// Retries of a hook that exits 75 (EX_TEMPFAIL) or cannot be started, in seconds.
    var retryDelays: [Double] = [2, 5, 15, 30, 60]
    private let stopping = Atomic<Bool>(false)
    /// Hooks running at once, over all lanes (`[hooks] concurrency`).
    private let slots: DispatchSemaphore
    private let lanes = Mutex<[String: HookLane]>([:])

    /// The time, in seconds since 1970 (injected by tests of flood control).
    let clock: @Sendable () -> Double

    public init(
        configuration: HookConfiguration, socketPath: String, logger: Logger,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws {
        self.clock = clock
        self.configuration = configuration
        self.socketPath = socketPath
        self.logger = logger
        slots = DispatchSemaphore(value: max(1, configuration.concurrency))
        state = try HookRunnerState(directory: configuration.stateDirectory)
    }

    /// A pipe (read end, write end) written once by `stop()`: the follower's pauses between
    /// reconnections wait on its read end.
    private let stopPipe: (read: Int32, write: Int32) = {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return (-1, -1) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }()
    /// The subscription being followed, so that `stop()` can end a blocked read.
    private let clientLock = NSLock()
    private var client: ControlClient?

    /// Stops following: the subscription is closed, lanes stop after their current hook, and
    /// `run()` returns once they all have.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        var byte: UInt8 = 1
        if stopPipe.write >= 0 { _ = write(stopPipe.write, &byte, 1) }
        clientLock.lock()
        client?.interrupt()
        clientLock.unlock()
        for lane in lanes.withLock({ Array($0.values) }) { lane.wake() }
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Waits `seconds`, or less when the runner stops.
    func pause(_ seconds: Double) {
        var poller = pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)
        _ = poll(&poller, 1, Int32(seconds * 1000))  // a descriptor of -1 is ignored: a plain wait
    }

    /// Stops the hooks (SIGTERM to each) for an exit. A hook stopped this way has its alert
    /// delivered again at the next start: its cursor is not moved.
    public func shutDown() {
        HookExecution.terminateAll()
    }

    /// Connects, subscribes after the oldest hook cursor, and hands out alerts until stopped;
    /// reconnects with backoff while the daemon is away (or busy). Returns once every lane's
    /// thread has ended too: nothing of the runner runs after it.
    public func run() {
        followUntilStopped()
        endLanes()
    }

    /// Waits for every lane's thread to end (they stop after their current hook), then drops
    /// the lanes. Lanes are made only by the follower, which has returned: none appears now.
    private func endLanes() {
        let all = lanes.withLock { Array($0.values) }
        for lane in all {
            lane.wake()
            lane.join()
        }
        lanes.withLock { $0.removeAll() }
    }

    private func followUntilStopped() {
        var backoff = 1.0
        while !stopping.load(ordering: .relaxed) {
            do {
                try follow()
                backoff = 1
            } catch let error as ClientError where error.kind == .daemon(.busy) {
                logger.warning("verifyd is busy; retrying", metadata: ["error": "\(error)", "retry.seconds": "\(Int(backoff))"])
                pause(backoff)
                backoff = min(backoff * 2, 30)
            } catch {
                if stopping.load(ordering: .relaxed) { return }
                logger.warning("lost the daemon; retrying", metadata: ["error": "\(error)", "retry.seconds": "\(Int(backoff))"])
                pause(backoff)
                backoff = min(backoff * 2, 30)
            }
        }
    }

    private func follow() throws {
        let client = try ControlClient(socketPath: socketPath)
        clientLock.lock()
        self.client = client
        let stopped = stopping.load(ordering: .relaxed)
        clientLock.unlock()
        defer {
            clientLock.lock()
            self.client = nil
            clientLock.unlock()
        }
        if stopped { return }
        let base = state.cursor
        // Every hook present resumes after its own cursor; one without a cursor of its own
        // (new, or from before cursors per hook) after the runner's.
        let present = HookDirectory.hookNames(in: configuration.directory)
        let since = base.map { base in present.compactMap { state.cursor(hook: $0) }.reduce(base, min) }
        try client.send(WireProtocol.line(Request(id: 1, cmd: .subscribe, args: AlertsArguments(since: since))))
        let reply = try JSONDecoder().decode(Reply<SubscribeResult>.self, from: Data(try client.readLine()))
        guard reply.ok, let result = reply.result else {
            throw ClientError(reply.error.map { .daemon($0.code) } ?? .protocolError, "subscribe refused: \(reply.error?.message ?? "no reason")")
        }
        if base == nil {
            // First start: begin at the end of the log rather than replaying its whole past.
            try state.save(cursor: result.since)
            logger.info("first start: following alerts after the end of the log", metadata: ["alert.seq": "\(result.since)"])
        } else {
            logger.info("following alerts", metadata: ["since": "\(result.since)", "last": "\(result.last)"])
        }
        for name in present { _ = lane(name, startingAfter: state.cursor(hook: name) ?? base ?? result.since) }
        while !stopping.load(ordering: .relaxed) {
            let line = try client.readLine()
            guard let streamed = try? JSONDecoder().decode(AlertLine.self, from: Data(line)) else {
                logger.warning("skipped a line that is not an alert")
                continue
            }
            dispatch(streamed.alert, json: line)
            try state.save(cursor: max(streamed.alert.seq, state.cursor ?? 0))
        }
    }

    /// Hands one alert to every hook's lane; a hook that appeared since starts with it.
    func dispatch(_ alert: Alert, json: [UInt8]) {
        let (send, count) = decision(for: alert)
        var metadata: Logger.Metadata = ["alert.seq": "\(alert.seq)", "alert.kind": "\(alert.kind.rawValue)", "destination": "\(alert.destination)"]
        if !send { logger.info("alert held back by flood control (a repeat within the interval)", metadata: metadata) }
        let selection = HookDirectory.hooks(in: configuration.directory, for: alert.kind.rawValue)
        for (path, reason) in selection.refused.sorted(by: { $0.key < $1.key }) {
            logger.error("hook refused", metadata: ["hook": "\(path)", "reason": "\(reason)"])
        }
        if send, selection.runnable.isEmpty { logger.notice("no hook for this alert", metadata: metadata) }
        for name in HookDirectory.hookNames(in: configuration.directory) { _ = lane(name, startingAfter: alert.seq - 1) }
        let item = HookLane.Item(alert: alert, json: json, send: send, count: count)
        for lane in lanes.withLock({ Array($0.values) }) { lane.offer(item) }
        metadata["hooks"] = "\(selection.runnable.count)"
        logger.debug("alert handed to the hooks", metadata: metadata)
    }

    /// The lane of a hook, made and started on first use.
    private func lane(_ name: String, startingAfter cursor: Int64) -> HookLane {
        let (lane, made) = lanes.withLock { lanes -> (HookLane, Bool) in
            if let lane = lanes[name] { return (lane, false) }
            let lane = HookLane(path: configuration.directory + "/" + name, cursor: cursor, runner: self)
            lanes[name] = lane
            return (lane, true)
        }
        if made {
            // Its starting point goes to disk at once: a hook that has not finished one alert
            // yet resumes from there after a restart, not from the runner's own cursor.
            if state.cursor(hook: name) == nil {
                do {
                    try state.save(cursor: cursor, hook: name)
                } catch {
                    logger.error("cannot write a hook's cursor", metadata: ["hook": "\(name)", "error": "\(error)"])
                }
            }
            lane.start()
        }
        return lane
    }

    /// Flood control's decision for an alert, made once per alert number (kept on disk, so
    /// an alert replayed after a restart gets the same decision).
    func decision(for alert: Alert) -> (Bool, Int) {
        state.decide(alert, now: clock(), configuration: configuration)
    }

    /// Alerts after `seq` read back from the daemon's log (for a lane that fell behind).
    func fetch(after seq: Int64) throws -> [HookLane.Item] {
        let client = try ControlClient(socketPath: socketPath)
        let result = try client.call(.alerts, AlertsArguments(since: seq, limit: 100), expecting: AlertsResult.self)
        return result.alerts.map { alert in
            let (send, count) = decision(for: alert)
            return HookLane.Item(alert: alert, json: Array(WireProtocol.line(AlertLine(alert: alert)).dropLast()), send: send, count: count)
        }
    }

    /// Runs one hook for one alert, retrying while it exits 75 or cannot be started. Returns
    /// false only when the runner is stopping and the hook did not run to its end.
    func runWithRetries(_ hook: String, item: HookLane.Item, metadata: Logger.Metadata) -> Bool {
        var metadata = metadata
        let environment = HookEnvironment.variables(for: item.alert, repeat: item.count, hooksDirectory: configuration.directory)
        let input = item.json + [0x0A]
        for attempt in 0...retryDelays.count {
            slots.wait()
            if stopping.load(ordering: .relaxed) {
                slots.signal()
                return false
            }
            let outcome = HookExecution.run(hook, input: input, environment: environment, timeout: configuration.timeout)
            slots.signal()
            if HookExecution.isShuttingDown { return false }
            metadata["seconds"] = "\(String(format: "%.2f", outcome.seconds))"
            let output = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if !output.isEmpty { metadata["output"] = "\(output.prefix(2000))" }
            if outcome.succeeded {
                logger.info("hook ran", metadata: metadata)
                return true
            }
            if outcome.timedOut {
                logger.error("hook timed out and was killed", metadata: metadata)
                return true
            }
            if outcome.wantsRetry, attempt < retryDelays.count {
                if stopping.load(ordering: .relaxed) { return false }
                logger.warning(
                    outcome.notStarted ? "hook cannot be started; retrying" : "hook asks to be retried (exit 75)",
                    metadata: metadata)
                pause(retryDelays[attempt])
                if stopping.load(ordering: .relaxed) { return false }
                continue
            }
            if outcome.notStarted {
                logger.error("hook cannot be started; given up for this alert", metadata: metadata)
                return true
            }
            metadata["exit"] = "\(outcome.status.map(String.init) ?? "signal \(outcome.signal ?? 0)")"
            logger.error("hook failed", metadata: metadata)
            return true
        }
        return true
    }
}

/// The runner's state on disk: the cursor and the flood-control record, each replaced
/// atomically (write, fsync, rename).
final class HookRunnerState: @unchecked Sendable {
    let directory: String
    private let lock = NSLock()
    private var flood: FloodControl

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = FileManager.default.contents(atPath: directory + "/flood.json")
        flood = data.flatMap { try? JSONDecoder().decode(FloodControl.self, from: $0) } ?? FloodControl()
    }

    var cursor: Int64? {
        guard let text = try? String(contentsOfFile: directory + "/cursor", encoding: .utf8) else { return nil }
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func save(cursor: Int64) throws {
        try replace("cursor", Data("\(cursor)\n".utf8))
    }

    /// The last alert one hook has handled (its lane's cursor), if it has one.
    func cursor(hook name: String) -> Int64? {
        guard let text = try? String(contentsOfFile: directory + "/cursors/" + name, encoding: .utf8) else { return nil }
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func save(cursor: Int64, hook name: String) throws {
        try FileManager.default.createDirectory(atPath: directory + "/cursors", withIntermediateDirectories: true)
        try replace("cursors/" + name, Data("\(cursor)\n".utf8))
    }

    func decide(_ alert: Alert, now: Double, configuration: HookConfiguration) -> (Bool, Int) {
        lock.lock()
        defer { lock.unlock() }
        let decision = flood.decideOnce(alert, now: now, interval: configuration.repeatInterval, maxInterval: configuration.maxRepeatInterval)
        if let data = try? JSONEncoder().encode(flood) { try? replace("flood.json", data) }
        return decision
    }

    private func replace(_ name: String, _ data: Data) throws {
        let path = directory + "/" + name
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw HookRunnerError("\(temporary): cannot write")
        }
        let fd = open(temporary, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary, path) == 0 else { throw HookRunnerError("\(path): cannot replace: \(errnoText())") }
    }
}

struct HookRunnerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
