import ArchiveReading
import Dispatch
import Foundation
import Logging
import VerifyCore
import VerifyProtocol
import VerifyStore

extension Daemon {
    /// A run that has a history row and a worker, ready to execute.
    struct StartedRun: Sendable {
        var id: Int64
        var destination: String
        var file: ArchiveFile
        var worker: WorkerProcess
        /// The archive and its companions, and their identities when the run started.
        var paths: [String]
        var identities: [FileIdentity?]
    }

    /// Records the run's start and prepares its worker; nil when the run cannot be recorded, or
    /// the archive is not still (see `RunSettling`).
    func start(_ item: QueuedRun, paths: [String], probe: ArchiveProbe?) -> StartedRun? {
        launching.remove(item.file.path)
        guard !shutdownRequested.load(ordering: .relaxed) else {
            finishWithoutRun(item.file.path, destination: item.destination)
            return nil
        }
        if deferIfNotStill(item, probe: probe) { return nil }
        guard let destination = configured(item.destination) else {
            finishWithoutRun(item.file.path, destination: item.destination)
            return nil
        }
        let seed = UInt64.random(in: 0...UInt64.max)
        let now = clock()
        let sample = effectiveSample(destination, archive: item.file.path)
        let record: RunRecord
        do {
            record = try store.start(RunRecord(
                destination: destination.name, archivePath: item.file.path, archiveSize: item.file.size,
                archiveMtime: item.file.mtime, trigger: item.trigger.rawValue, started: now,
                sample: sample.configurationText, seed: seed))
        } catch {
            logger.error("cannot record a run; it is skipped", metadata: ["archive.path": "\(item.file.path)", "error": "\(error)"])
            finishWithoutRun(item.file.path, destination: destination.name)
            return nil
        }
        let id = record.id ?? 0
        historyChanged(destination.name)
        coverageChanged(destination.name, archive: item.file.path)
        let request = runRequest(destination, archive: item.file, runID: id, seed: seed, sample: sample)
        let worker = WorkerProcess(executable: workerExecutable, request: request, timeout: configuration.workerTimeout)
        metricsDirty = true
        running[id] = RunningRun(
            destination: destination.name, file: item.file, started: now, worker: worker,
            progress: WorkerProgress(entries: 0, bytesRead: 0))
        logger.info("run started", metadata: [
            "run.id": "\(id)", "destination": "\(destination.name)", "archive.path": "\(item.file.path)",
            "trigger": "\(item.trigger.rawValue)", "seed": "\(seed)",
        ])
        return StartedRun(
            id: id, destination: destination.name, file: item.file, worker: worker, paths: paths, identities: probe?.identities ?? [])
    }

    /// The worker's request for a run of `archive`: the destination's settings, the sample,
    /// the coverage to continue, a restore folder, the kept seek index, signature policy.
    func runRequest(_ destination: DestinationConfiguration, archive: ArchiveFile, runID: Int64, seed: UInt64, sample: SamplePolicy) -> WorkerRequest {
        var request = workerRequest(destination, archive: archive.path, seed: seed)
        request.sample = sample
        request.coverageRunsInWindow = runsInCoverageWindow(destination)
        // Coverage chooses the sample and continues runs cut short by a budget; a run that reads
        // every entry with no budget needs none of it (and a 16,000-entry archive's coverage is
        // megabytes of JSON to pass).
        let readsEverything = sample == .all && destination.maxDuration == nil && destination.maxBytes == nil
        if let coverage = coverageForRun(destination, archive: archive, entries: !readsEverything) {
            request.coverage = coverage.items
            request.coverageCycleStart = coverage.cycleStart
        }
        if destination.mode == .restore {
            let scratch = configuration.stateDirectory + "/scratch/run-\(runID)"
            do {
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                request.restoreDirectory = scratch
                request.restoreLimit = destination.restoreLimit
                request.restoreReserve = configuration.restoreReserve
            } catch {
                logger.error("cannot create the restore folder; the run streams instead", metadata: ["folder": "\(scratch)", "error": "\(error)"])
            }
        }
        request.inflater = configuration.inflater
        keepSeekIndex(of: archive.path, in: &request, sampled: sample != .all)
        request.threads = configuration.workerThreads
        request.nice = configuration.workerNice
        request.ioClass = configuration.workerIOClass
        request.maxSeconds = destination.maxDuration
        request.maxBytes = destination.maxBytes
        if destination.format == .raw { request.formatPolicy = .raw }
        let signaturePolicy = destination.signaturePolicy(trustedKeys: configuration.trustedKeys)
        if signaturePolicy != .off {
            request.manifestSignature = signaturePolicy
            request.trustedKeys = configuration.trustedKeys
        }
        return request
    }

    func workerRequest(_ destination: DestinationConfiguration, archive: String, seed: UInt64) -> WorkerRequest {
        var manifestPath: String?
        var manifestEntry: String?
        switch destination.manifest {
        case .file(let template): manifestPath = PathTemplate(template).path(for: archive)
        case .inArchive(let entry): manifestEntry = entry
        case .none: break
        }
        var request = WorkerRequest(
            archivePath: archive, manifestPath: manifestPath, manifestEntry: manifestEntry,
            manifestFormat: destination.manifestFormat,
            archiveDigestPath: destination.archiveDigest.map { PathTemplate($0).path(for: archive) },
            stripComponents: destination.stripComponents, strict: destination.strict,
            sample: destination.sample, seed: seed, stallTimeout: configuration.stallTimeout,
            memoryLimit: configuration.workerMemoryLimit)
        let keys = destination.decryption.over(configuration.decryption)
        request.keys = WorkerKeys.load(ageIdentity: keys.ageIdentity, agePassphrase: keys.agePassphrase, gpgHome: keys.gpgHome)
        return request
    }

    /// Runs the worker (off the actor) and records the outcome.
    nonisolated func execute(_ run: StartedRun) async {
        let store = self.store
        let logger = self.logger
        // Checkpoints are written in order on a queue of their own, so that the worker's output
        // keeps being read (and the worker never waits on SQLite) while they are written.
        let coverageWriter = DispatchQueue(label: "verifyd.coverage.run-\(run.id)")
        let clock = ContinuousClock()
        let started = clock.now
        let result = await run.worker.run(
            onProgress: { [self] progress in
                Task { await self.progressed(run.id, progress) }
            },
            onChecked: { entries in
                let at = Date().timeIntervalSince1970
                coverageWriter.async {
                    // Written as they come: a run cut short keeps what it proved.
                    do {
                        try store.recordCoverage(
                            destination: run.destination, archive: run.file.path, runID: run.id,
                            at: at, entries: entries.map { ($0.path, $0.failed, $0.digest, $0.size) })
                    } catch {
                        logger.error("cannot record coverage", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
                    }
                }
            })
        let workerEnded = clock.now
        if let scratch = run.worker.request.restoreDirectory { await removeRunScratch(scratch) }
        if let index = result.seekIndex { await keptSeekIndex(index, of: run.file.path, runID: run.id) }
        await withCheckedContinuation { done in coverageWriter.async { done.resume() } }
        let coverageWritten = clock.now
        // Whether the archive changed under the run, or is open for writing now.
        let probe = await ProbeRunner.probe(run.paths)
        await finish(run, result, probe: probe)
        // Where a run's time went, for `--log-level debug` (the daemon's overhead over the engine).
        let seconds = { (d: Duration) in String(format: "%.3f", Double(d.components.attoseconds) / 1e18 + Double(d.components.seconds)) }
        logger.debug("run timings", metadata: [
            "run.id": "\(run.id)", "worker.seconds": "\(seconds(workerEnded - started))",
            "engine.seconds": "\(String(format: "%.3f", result.durationSeconds))",
            "coverage.wait.seconds": "\(seconds(coverageWritten - workerEnded))", "finish.seconds": "\(seconds(clock.now - coverageWritten))",
        ])
    }

    func progressed(_ id: Int64, _ progress: WorkerProgress) {
        running[id]?.progress = progress
    }

    func finish(_ run: StartedRun, _ workerResult: WorkerResult, probe: ArchiveProbe?) {
        let now = clock()
        var result = withContentChanges(run, workerResult)
        let (decision, heldUntil) = settledVerdict(run, &result, probe: probe, now: now)
        var outcome = RunOutcome(
            verdict: result.verdict, finished: now, entriesSeen: result.entriesSeen, entriesSelected: result.entriesSelected,
            entriesChecked: result.entriesChecked, bytesRead: result.bytesRead,
            durationSeconds: result.durationSeconds > 0 ? result.durationSeconds : now - (running[run.id]?.started ?? now),
            archiveDigest: result.archiveDigest, error: result.error,
            note: [result.budgetReached, result.signature].compactMap { $0 }.joined(separator: "; ").nilIfEmpty)
        outcome.heldUntil = heldUntil
        outcome.heldIdentities = heldUntil.map { _ in Self.encode(run.identities) }
        let failures = result.failures.map {
            FailureRecord(runId: run.id, path: $0.path, kind: $0.kind, expected: $0.expected, actual: $0.actual)
        }
        do {
            try store.finish(runID: run.id, outcome: outcome, failures: failures, failureCount: result.failureCount)
        } catch {
            logger.critical("cannot record the end of a run", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
        }
        recordManifestEntries(run, result)
        historyChanged(run.destination)
        coverageChanged(run.destination, archive: run.file.path)
        running[run.id] = nil
        metricsDirty = true
        if let heldUntil {
            hold(HeldRun(id: run.id, destination: run.destination, archive: run.file.path, paths: run.paths, identities: run.identities, until: heldUntil))
        } else if var tracker = trackers.removeValue(forKey: run.destination) {
            tracker.recordRun(path: run.file.path, .init(size: run.file.size, mtime: run.file.mtime, finished: now, verdict: result.verdict))
            tracker.markInactive(run.file.path)
            trackers[run.destination] = tracker
        }
        if case .interrupted(let reason) = decision { notStill(run.file.path, destination: run.destination, reason) }
        logRunEnd(run, result, held: heldUntil != nil)
        if heldUntil == nil { raiseRunAlert(run, result) }
        raiseShrinkAlert(run, result)
        evaluateStates([run.destination])
        evaluateCoverageRisk(run.destination)
        // The run as history has it, read only when someone waits for it.
        if let waiting = waiters.removeValue(forKey: run.file.path) {
            let summary = (try? store.run(id: run.id)).flatMap { $0 }.map(RunSummary.init)
            for waiter in waiting { waiter.yield(summary) }
        }
        wake.signal()
    }

    /// Whether the run's verdict counts (`RunSettling`): recorded, interrupted because the
    /// archive changed under it (the result is then emptied of findings), or held until `settle`.
    private func settledVerdict(_ run: StartedRun, _ result: inout WorkerResult, probe: ArchiveProbe?, now: Double) -> (RunSettling.End, heldUntil: Double?) {
        let settle = configured(run.destination)?.settle ?? 0
        let decision: RunSettling.End = probe.map { RunSettling.atEnd(verdict: result.verdict, started: run.identities, probe: $0, settle: settle, now: now) }
            ?? (result.verdict == .interrupted ? .record : .interrupted(.noAnswer(path: run.file.path)))
        var heldUntil: Double?
        switch decision {
        case .record: break
        case .interrupted(let reason):
            // Not a verdict: findings made on a file that was changing say nothing of the backup.
            result.verdict = .interrupted
            result.error = reason.text
            result.failures = []
            result.failureCount = 0
        case .hold(let until): heldUntil = until
        }
        return (decision, heldUntil)
    }

    /// The journal's line for a run's end, at the level its verdict calls for.
    private func logRunEnd(_ run: StartedRun, _ result: WorkerResult, held: Bool) {
        var metadata: Logger.Metadata = [
            "run.id": "\(run.id)", "destination": "\(run.destination)", "archive.path": "\(run.file.path)",
            "verdict": "\(result.verdict.rawValue)", "entries.checked": "\(result.entriesChecked)", "failures": "\(result.failureCount)",
        ]
        if let error = result.error { metadata["error"] = "\(error)" }
        switch result.verdict {
        case _ where held:
            logger.warning("run failed; the verdict counts if the archive stays unchanged for settle", metadata: metadata)
        case .pass: logger.info("run passed", metadata: metadata)
        case .fail: logger.error("run failed", metadata: metadata)
        case .interrupted: logger.warning("run interrupted", metadata: metadata)
        case .error: logger.error("run could not verify the archive", metadata: metadata)
        }
    }

    /// An entry that matched its manifest but reads otherwise than at its last good read of the
    /// same copy of the archive (same size and mtime) has changed: bit rot in a plain tar with
    /// a manifest made again from the damaged archive, say. Each such entry is a
    /// `content_changed` failure, and the run fails.
    func withContentChanges(_ run: StartedRun, _ result: WorkerResult) -> WorkerResult {
        guard result.verdict == .pass || result.verdict == .fail else { return result }
        let changes: [HistoryStore.ContentChange]
        do {
            changes = try store.contentChanges(destination: run.destination, archive: run.file.path, runID: run.id)
        } catch {
            logger.error("cannot compare the entries read with their earlier reads", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
            return result
        }
        guard !changes.isEmpty else { return result }
        var changed = result
        changed.verdict = .fail
        changed.failureCount += changes.count
        let room = max(0, WorkerResult.failureLimit - changed.failures.count)
        changed.failures += changes.prefix(room).map {
            WorkerFailure(
                path: $0.path, kind: "content_changed", expected: "\($0.previousDigest) (read by run \($0.previousRunID); the archive's size and mtime are unchanged)",
                actual: $0.digest)
        }
        logger.error("entries read otherwise than before", metadata: ["run.id": "\(run.id)", "entries": "\(changes.count)"])
        return changed
    }

    func finishWithoutRun(_ path: String, destination: String) {
        trackers[destination]?.markInactive(path)
        for waiter in waiters.removeValue(forKey: path) ?? [] { waiter.yield(nil) }
    }
}

extension SamplePolicy {
    /// The policy in `verifyd.toml` syntax.
    var configurationText: String {
        switch self {
        case .all: "all"
        case .count(let n): "\(n)"
        case .percent(let p): "\(p)%"
        case .bytes(let b): "\(b)B"
        }
    }
}
