import Foundation
import Testing
import VerifyCore
import VerifyTestSupport
@testable import VerifyDaemon

#if canImport(Glibc)
import Glibc
#endif

/// A killed worker's verdict comes from the reason the daemon gave as a value (`WorkerKill`),
/// never from the words of its message.
@Suite(.timeLimit(.minutes(8)))
struct WorkerKillTests {
    /// A worker that would run for ten minutes: only the kill ends it.
    func worker(_ temp: TemporaryDirectory) throws -> WorkerProcess {
        let path = temp.file("worker.sh")
        try ExecutableScript.write("#!/bin/sh\ncat > /dev/null\nexec sleep 600\n", to: path)
        let request = WorkerRequest(
            archivePath: "/nonexistent", manifestPath: nil, manifestEntry: nil, manifestFormat: nil, archiveDigestPath: nil,
            stripComponents: 0, strict: false, sample: .all, seed: 1, stallTimeout: 0, memoryLimit: 1 << 30)
        return WorkerProcess(executable: path, request: request, timeout: 0, stallTimeout: 0)
    }

    @Test(arguments: [
        (WorkerKill.interrupted("verifyd was stopped during the run"), Verdict.interrupted),
        (WorkerKill.interrupted("interrupted: the archive changed"), Verdict.interrupted),
        // A message that reads like an interruption does not make one.
        (WorkerKill.failed("interrupted by nothing: the worker ran longer than worker_timeout"), Verdict.error),
        (WorkerKill.failed("the worker made no progress"), Verdict.error),
    ])
    func theKillsReasonGivesTheVerdictAndItsMessageTheError(kill: WorkerKill, verdict: Verdict) async throws {
        let temp = TemporaryDirectory()
        let worker = try worker(temp)
        // Killed before it starts: the spawn kills it at once, as a stop during the run would.
        worker.kill(because: kill)
        let result = await worker.run(onProgress: { _ in })
        #expect(result.verdict == verdict)
        #expect(result.error == kill.message)
    }

    /// The first reason counts: a stop that follows a timeout does not turn the error into an
    /// interruption.
    @Test func theFirstKillCounts() async throws {
        let temp = TemporaryDirectory()
        let worker = try worker(temp)
        worker.kill(because: .failed("the worker ran longer than worker_timeout (5 s)"))
        worker.kill(because: .interrupted("interrupted: verifyd was stopped during the run"))
        let result = await worker.run(onProgress: { _ in })
        #expect(result.verdict == .error && result.error == "the worker ran longer than worker_timeout (5 s)")
    }
}
