import ArchiveReading
import Foundation
import Testing
import VerifyTestSupport
@testable import VerifyDaemon

/// The daemon's stall watchdog over a worker: a pure decision with explicit times, then the
/// real `WorkerProcess` over stand-in workers (shell scripts) that hang or keep moving.
struct WorkerStallTests {
    func progress(_ ticks: UInt64, _ stage: ReadStage = .reading) -> WorkerProgress {
        WorkerProgress(entries: 0, bytesRead: 0, ticks: ticks, stage: stage)
    }

    @Test func theLimitIsTheStallTimeoutPlusAGraceOfAtMostTenSeconds() {
        #expect(WorkerStallWatch(stallTimeout: 4, startedAt: 0).limit == 8)
        #expect(WorkerStallWatch(stallTimeout: 30, startedAt: 0).limit == 40)
    }

    @Test func aWorkerThatNeverReportsIsStalledInItsFirstStage() {
        let watch = WorkerStallWatch(stallTimeout: 5, startedAt: 100)
        #expect(watch.stalledReason(at: 109.9) == nil)
        #expect(watch.stalledReason(at: 110) == "the worker made no progress for 10 s while starting (stall_timeout 5 s) and was killed")
    }

    @Test func onlyAMovingCountOrANewStageIsProgress() {
        var watch = WorkerStallWatch(stallTimeout: 5, startedAt: 0)
        watch.observe(progress(1, .manifest), at: 1)
        watch.observe(progress(1, .manifest), at: 5)  // the same count: no progress
        #expect(watch.stalledReason(at: 10.9) == nil)
        #expect(watch.stalledReason(at: 11)?.contains("while reading the manifest") == true)
        watch.observe(progress(1, .opening), at: 11)  // a new stage is progress
        #expect(watch.stalledReason(at: 20) == nil)
        watch.observe(progress(2, .opening), at: 20)
        watch.observeOutput(at: 29)  // entries read back
        #expect(watch.stalledReason(at: 38.9) == nil)
        #expect(watch.stalledReason(at: 39)?.contains("no progress for 10 s while opening the archive") == true)
    }

    @Test func noStallTimeoutNoWatchdog() {
        #expect(WorkerStallWatch(stallTimeout: 0, startedAt: 0).stalledReason(at: 1e9) == nil)
    }

    func request(stallTimeout: Double = 0.5) -> WorkerRequest {
        WorkerRequest(
            archivePath: "/nonexistent", manifestPath: nil, manifestEntry: nil, manifestFormat: nil, archiveDigestPath: nil,
            stripComponents: 0, strict: false, sample: .all, seed: 1, stallTimeout: stallTimeout, memoryLimit: 1 << 30)
    }

    func script(_ temp: TemporaryDirectory, _ body: String) throws -> String {
        let path = temp.file("worker.sh")
        try ExecutableScript.write("#!/bin/sh\n" + body, to: path)
        return path
    }

    @Test(.timeLimit(.minutes(8))) func aWorkerThatSaysNothingIsKilledAndItsRunIsAnError() async throws {
        let temp = TemporaryDirectory()
        // Reads its request, then blocks as a worker stuck in an open() or a read() would.
        let worker = WorkerProcess(executable: try script(temp, "cat > /dev/null\nexec sleep 600\n"), request: request(), timeout: 0)
        let result = await worker.run(onProgress: { _ in })
        #expect(result.verdict == .error)
        #expect(result.error?.hasPrefix("the worker made no progress for ") == true, "\(result.error ?? "")")
        #expect(result.error?.contains("while starting (stall_timeout 0.5 s)") == true, "\(result.error ?? "")")
    }

    @Test(.timeLimit(.minutes(8))) func aWorkerStuckAtTheSameCountIsKilledInItsStage() async throws {
        let temp = TemporaryDirectory()
        // Reports forever, but its count never moves.
        let line = #"{"progress":{"entries":0,"bytesRead":0,"ticks":7,"stage":"manifest"}}"#
        let worker = WorkerProcess(
            executable: try script(temp, "cat > /dev/null\nwhile true; do echo '\(line)'; sleep 0.1; done\n"), request: request(), timeout: 0)
        let result = await worker.run(onProgress: { _ in })
        #expect(result.verdict == .error)
        #expect(result.error?.contains("while reading the manifest") == true, "\(result.error ?? "")")
    }

    @Test(.timeLimit(.minutes(8))) func aWorkerThatKeepsMovingIsNotKilled() async throws {
        let temp = TemporaryDirectory()
        // Moves for 3 s or more with a stall timeout of 1 s (a limit of 2 s), then ends with a result.
        let result = #"{"result":{"verdict":"pass","entriesSeen":1,"entriesSelected":1,"entriesChecked":1,"bytesRead":1,"durationSeconds":3,"failures":[],"failureCount":0}}"#
        let body = """
            cat > /dev/null
            i=0
            while [ $i -lt 15 ]; do
              echo "{\\"progress\\":{\\"entries\\":0,\\"bytesRead\\":0,\\"ticks\\":$i,\\"stage\\":\\"reading\\"}}"
              i=$((i + 1)); sleep 0.2
            done
            echo '\(result)'

            """
        let worker = WorkerProcess(executable: try script(temp, body), request: request(stallTimeout: 1), timeout: 0)
        let outcome = await worker.run(onProgress: { _ in })
        #expect(outcome.verdict == .pass, "\(outcome.error ?? "")")
    }
}
