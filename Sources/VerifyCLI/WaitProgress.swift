#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import VerifyClient
import VerifyProtocol

/// `verifyctl verify --wait` on a terminal: while the daemon works, the progress of the run it
/// waits on, from `status` asked on a second connection twice a second.
final class WaitProgress: Sendable {
    private let line: TerminalProgress
    private let socketPath: String
    private let target: String
    private let stopped = Atomic<Bool>(false)

    /// Nil when stderr is no terminal.
    init?(socketPath: String, target: String) {
        guard let line = TerminalProgress(totalBytes: 0) else { return nil }
        self.line = line
        self.socketPath = socketPath
        self.target = target
    }

    /// Polls in a thread of its own until `stop()`.
    func start() {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                if let client = try? ControlClient(socketPath: socketPath),
                   let status = try? client.call(.status, StatusArguments(destination: nil), expecting: StatusResult.self),
                   let run = Self.run(in: status, for: target) {
                    line.show(Self.text(run, now: Date().timeIntervalSince1970, width: line.columns()))
                }
                for _ in 0..<5 where !stopped.load(ordering: .relaxed) { usleep(100_000) }
            }
        }
        thread.start()
    }

    /// Stops the polling and erases the line, before the verdicts are printed.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        line.clear()
    }

    /// The running run that `verify TARGET` waits on: the archive TARGET names, or the first run of
    /// the destination TARGET names.
    static func run(in status: StatusResult, for target: String) -> RunProgress? {
        if target.hasPrefix("/") {
            return status.destinations.lazy.flatMap(\.running).first { $0.archive == target }
        }
        return status.destinations.first { $0.name == target }?.running.min { $0.runId < $1.runId }
    }

    /// `run 12 etc.tar.gz: 40.0 MiB of 96.0 MiB (41%)  ...`.
    static func text(_ run: RunProgress, now: Double, width: Int) -> String {
        let name = run.archive.split(separator: "/").last.map(String.init) ?? run.archive
        let progress = ProgressLine(
            bytesRead: run.bytesRead, totalBytes: run.archiveSize, entries: run.entries, elapsedSeconds: now - run.started)
        let head = "run \(run.runId) \(name.printable): "
        return head + progress.text(width: max(width - head.count, 0))
    }
}
