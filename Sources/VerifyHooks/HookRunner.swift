import Foundation
import Logging
import Synchronization
import VerifyClient
import VerifyDaemon
import VerifyProtocol

/// `verifyd-hooks`: follows the daemon's alert log over its socket and runs the hooks of each
/// alert, in order. The cursor (the last alert handled) is written to disk only after the
/// alert's hooks ran, so delivery is at least once: a restart of either process repeats at
/// most the alert in progress and never loses one.
public final class HookRunner: @unchecked Sendable {
    let configuration: HookConfiguration
    let socketPath: String
    let logger: Logger
    let state: HookRunnerState
    /// Retries of a hook that exits 75 (EX_TEMPFAIL), in seconds.
    var retryDelays: [Double] = [2, 5, 15, 30, 60]
    private let stopping = Atomic<Bool>(false)

    public init(configuration: HookConfiguration, socketPath: String, logger: Logger) throws {
        self.configuration = configuration
        self.socketPath = socketPath
        self.logger = logger
        state = try HookRunnerState(directory: configuration.stateDirectory)
    }

    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// The alert whose hooks all ran to their end and whose cursor is not written yet.
    private let delivered = Mutex<Int64?>(nil)

    /// Stops the hooks (SIGTERM to each) for an exit. An alert whose hooks had all finished
    /// before has its cursor written here, so that it is not delivered again at the next start;
    /// an alert whose hooks were stopped is.
    public func shutDown() {
        let seq = delivered.withLock { seq -> Int64? in
            HookExecution.terminateAll()
            return seq
        }
        if let seq { try? state.save(cursor: seq) }
    }

    /// Connects, subscribes after the cursor, and handles alerts until stopped; reconnects with
    /// backoff while the daemon is away.
    public func run() {
        var backoff = 1.0
        while !stopping.load(ordering: .relaxed) {
            do {
                try follow()
                backoff = 1
            } catch {
                logger.warning("lost the daemon; retrying", metadata: ["error": "\(error)", "retry.seconds": "\(Int(backoff))"])
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 30)
            }
        }
    }

    private func follow() throws {
        let client = try ControlClient(socketPath: socketPath)
        let cursor = state.cursor
        try client.send(WireProtocol.line(Request(id: 1, cmd: .subscribe, args: AlertsArguments(since: cursor))))
        let reply = try JSONDecoder().decode(Reply<SubscribeResult>.self, from: Data(try client.readLine()))
        guard reply.ok, let result = reply.result else {
            throw ClientError(.protocolError, "subscribe refused: \(reply.error?.message ?? "no reason")")
        }
        if cursor == nil {
            // First start: begin at the end of the log rather than replaying its whole past.
            try state.save(cursor: result.since)
            logger.info("first start: following alerts after the end of the log", metadata: ["alert.seq": "\(result.since)"])
        } else {
            logger.info("following alerts", metadata: ["since": "\(result.since)", "last": "\(result.last)"])
        }
        while !stopping.load(ordering: .relaxed) {
            let line = try client.readLine()
            guard let streamed = try? JSONDecoder().decode(AlertLine.self, from: Data(line)) else {
                logger.warning("skipped a line that is not an alert")
                continue
            }
            handle(streamed.alert, json: line)
            let seq = streamed.alert.seq
            delivered.withLock { if !HookExecution.isShuttingDown { $0 = seq } }
            try state.save(cursor: seq)
            delivered.withLock { if $0 == seq { $0 = nil } }
        }
    }

    /// Runs the hooks of one alert (unless flood control holds it back).
    func handle(_ alert: Alert, json: [UInt8]) {
        var metadata: Logger.Metadata = ["alert.seq": "\(alert.seq)", "alert.kind": "\(alert.kind.rawValue)", "destination": "\(alert.destination)"]
        let (send, count) = state.decide(alert, now: Date().timeIntervalSince1970, configuration: configuration)
        guard send else {
            logger.info("alert held back by flood control (a repeat within the interval)", metadata: metadata)
            return
        }
        let selection = HookDirectory.hooks(in: configuration.directory, for: alert.kind.rawValue)
        for (path, reason) in selection.refused.sorted(by: { $0.key < $1.key }) {
            logger.error("hook refused", metadata: ["hook": "\(path)", "reason": "\(reason)"])
        }
        if selection.runnable.isEmpty {
            logger.notice("no hook for this alert", metadata: metadata)
            return
        }
        let environment = HookEnvironment.variables(for: alert, repeat: count, hooksDirectory: configuration.directory)
        let input = json + [0x0A]
        let slots = DispatchSemaphore(value: configuration.concurrency)
        let group = DispatchGroup()
        let hookMetadata = metadata
        for hook in selection.runnable {
            slots.wait()
            group.enter()
            Thread { [self] in
                self.runWithRetries(hook, input: input, environment: environment, metadata: hookMetadata)
                slots.signal()
                group.leave()
            }.start()
        }
        group.wait()
        metadata["hooks"] = "\(selection.runnable.count)"
        logger.info("alert delivered to hooks", metadata: metadata)
    }

    private func runWithRetries(_ hook: String, input: [UInt8], environment: [String: String], metadata: Logger.Metadata) {
        var metadata = metadata
        metadata["hook"] = "\(hook)"
        for attempt in 0...retryDelays.count {
            let outcome = HookExecution.run(hook, input: input, environment: environment, timeout: configuration.timeout)
            metadata["seconds"] = "\(String(format: "%.2f", outcome.seconds))"
            let output = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if !output.isEmpty { metadata["output"] = "\(output.prefix(2000))" }
            if outcome.succeeded {
                logger.info("hook ran", metadata: metadata)
                return
            }
            if outcome.timedOut {
                logger.error("hook timed out and was killed", metadata: metadata)
                return
            }
            if outcome.wantsRetry, attempt < retryDelays.count, !stopping.load(ordering: .relaxed) {
                logger.warning("hook asks to be retried (exit 75)", metadata: metadata)
                Thread.sleep(forTimeInterval: retryDelays[attempt])
                continue
            }
            metadata["exit"] = "\(outcome.status.map(String.init) ?? "signal \(outcome.signal ?? 0)")"
            logger.error("hook failed", metadata: metadata)
            return
        }
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

    func decide(_ alert: Alert, now: Double, configuration: HookConfiguration) -> (Bool, Int) {
        lock.lock()
        defer { lock.unlock() }
        let decision = flood.decide(alert, now: now, interval: configuration.repeatInterval, maxInterval: configuration.maxRepeatInterval)
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
        guard rename(temporary, path) == 0 else { throw HookRunnerError("\(path): cannot replace: \(String(cString: strerror(errno)))") }
    }
}

struct HookRunnerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
