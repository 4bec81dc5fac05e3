import Foundation

/// A real `verifyd` process with a temporary configuration, state folder and socket, driven
/// through the real `verifyctl`. Stops (SIGKILL) the daemon when released.
public final class DaemonHarness: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public var configPath: String { directory.file("verifyd.toml") }
    public var socketPath: String { directory.file("ctl.sock") }
    public var stateDirectory: String { directory.file("state") }
    public var logPath: String { directory.file("verifyd.log") }
    public private(set) var process: Process?
    /// Extra `KEY=value` lines for the top of the configuration.
    public var settings: [String] = []
    public var destinations: [String] = []
    public var environment: [String: String] = [:]
    /// A command that execs verifyd (`setpriv ...`): it keeps the process, so `pid` is verifyd's.
    public var launcher: [String] = []

    public init() {
        directory = TemporaryDirectory("vd")
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// A destination folder inside the temporary directory (created).
    public func folder(_ name: String) throws -> String {
        let path = directory.file(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The configuration text for the current settings and destinations.
    public var configuration: String {
        (["state_directory = \"\(stateDirectory)\"", "socket = \"\(socketPath)\""] + settings + destinations).joined(separator: "\n") + "\n"
    }

    public func writeConfiguration(_ text: String? = nil) throws {
        try (text ?? configuration).write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Writes the configuration, starts verifyd and waits until its socket answers.
    public func start() throws {
        if !FileManager.default.fileExists(atPath: configPath) { try writeConfiguration() }
        let process = Process()
        let command = launcher + [Tool.verifyd, "--config", configPath, "--log-level", "debug"]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        try process.run()
        self.process = process
        let ready = waitUntil(seconds: 20) { (try? self.ctl(["history", "--limit", "1"]).status) == 0 }
        guard ready else { throw ToolError(description: "verifyd did not answer on \(socketPath); log:\n\(log_)") }
    }

    /// verifyctl with `--socket`.
    @discardableResult
    public func ctl(_ arguments: [String]) throws -> Tool.Result {
        try Tool.run([Tool.verifyctl] + arguments + ["--socket", socketPath])
    }

    /// The daemon's log so far.
    public var log_: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends a signal; with `wait`, waits for the process to end and returns its exit status.
    @discardableResult
    public func signal(_ signal: Int32, wait: Bool = true, seconds: Double = 20) -> Int32? {
        guard let process else { return nil }
        kill(process.processIdentifier, signal)
        guard wait else { return nil }
        guard waitUntil(seconds: seconds, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    public var pid: Int32? { process?.processIdentifier }

    /// Waits until the daemon's log holds `text` (woken by inotify as the log grows, not by
    /// polling), for at most `seconds`.
    @discardableResult
    public func waitForLog(_ text: String, seconds: Double = 20) -> Bool {
        FileWatch.waitUntil(path: logPath, seconds: seconds) { self.log_.contains(text) }
    }
}

/// Polls `condition` for at most `seconds`: first after 5 ms, then ever less often, up to every
/// `every` seconds (100 ms), so that a condition true at once costs milliseconds and a slow
/// one (each check may start `verifyctl`) does not load a busy machine.
@discardableResult
public func waitUntil(seconds: Double, every: Double = 0.1, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    var pause = min(0.005, every)
    while Date() < deadline {
        if condition() { return true }
        usleep(useconds_t(min(pause, max(0, deadline.timeIntervalSinceNow)) * 1e6))
        pause = min(pause * 1.5, every)
    }
    return condition()
}
