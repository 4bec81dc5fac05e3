import Foundation
import Logging
import VerifyProtocol
import VerifyStore

/// Carries out `RunSettling`: probes an archive before its run starts and after it ends, holds
/// failing verdicts until the archive is still, and confirms (alerting) or interrupts them.
extension Daemon {
    /// A failing run whose verdict counts only if its files are unchanged at `until`. Its row
    /// is in history with `held_until` set, so a restarted daemon takes it up again.
    struct HeldRun: Sendable {
        var id: Int64
        var destination: String
        var archive: String
        /// The archive, then its companions.
        var paths: [String]
        var identities: [FileIdentity?]
        var until: Double
    }

    /// The archive and the files its run needs beside it, archive first.
    func settlingPaths(_ archive: String, destination name: String) -> [String] {
        guard let destination = configured(name) else { return [archive] }
        return [archive] + DestinationScanner.companions(of: archive, destination)
    }

    /// Probes the archive off the actor, then starts its run (or defers it) and executes it.
    nonisolated func launch(_ item: QueuedRun, paths: [String]) async {
        let probe = await ProbeRunner.probe(paths)
        guard let started = await start(item, paths: paths, probe: probe) else { return }
        await execute(started)
    }

    /// The pre-run decision: true (and the archive waits, no run recorded) when it is still being
    /// written, changed since the scan, or could not be examined.
    func deferIfNotStill(_ item: QueuedRun, probe: ArchiveProbe?) -> Bool {
        let decision: RunSettling.Start = probe.map { RunSettling.beforeRun(scanned: item.file.size, mtime: item.file.mtime, probe: $0) }
            ?? .wait(.noAnswer(path: item.file.path))
        if let probe { noteBlindWriterCheck(item.destination, probe) }
        guard case .wait(let reason) = decision else { return false }
        logger.info("run deferred: the archive is not still", metadata: [
            "destination": "\(item.destination)", "archive.path": "\(item.file.path)", "reason": "\(reason.text)",
        ])
        finishWithoutRun(item.file.path, destination: item.destination)
        notStill(item.file.path, destination: item.destination, reason)
        return true
    }

    /// Says once per destination that the open-for-writing check cannot answer there (no
    /// `CAP_LEASE`, a network filesystem...): only the change rule protects its runs.
    func noteBlindWriterCheck(_ destination: String, _ probe: ArchiveProbe) {
        guard !writerCheckBlind.contains(destination) else { return }
        for file in probe.files {
            guard case .unknown(let why) = file.writer else { continue }
            writerCheckBlind.insert(destination)
            logger.warning("cannot tell whether a process has an archive open for writing; runs rely on the change rule alone", metadata: [
                "destination": "\(destination)", "reason": "\(why)",
            ])
            return
        }
    }

    /// The archive's settle time starts again, with the reason as the destination's pending
    /// reason; a change also asks for a new scan.
    func notStill(_ path: String, destination: String, _ reason: RunSettling.Reason) {
        trackers[destination]?.restartSettle(path, because: reason.text, at: clock())
        if case .changed = reason { changes.withLock { _ = $0.destinations.insert(destination) } }
        wake.signal()
    }

    /// A running run whose archive a scan found changed verifies nothing: its worker
    /// is stopped and the run ends `interrupted` at once, rather than at its end.
    func stopRunsOnChangedArchives(_ destination: String, _ outcome: ScanOutcome) {
        guard case .found(let archives, _, _) = outcome else { return }
        let files = Dictionary(archives.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for run in running.values where run.destination == destination {
            // A file the scan does not list (asked for by path, outside the patterns; or gone) is
            // left to the check at the run's end.
            guard let now = files[run.file.path], now.size != run.file.size || now.mtime != run.file.mtime else { continue }
            run.worker.kill(because: .interrupted("interrupted: " + RunSettling.Reason.changed(path: run.file.path).text))
            notStill(run.file.path, destination: destination, .changed(path: run.file.path))
        }
    }

    /// Held verdicts whose time has come and that are not being confirmed already.
    func dueHolds(at now: Double) -> [HeldRun] {
        let due = held.values.filter { $0.until <= now && !confirming.contains($0.id) }
        for hold in due { confirming.insert(hold.id) }
        return due
    }

    /// Probes a held run's files off the actor, then settles its verdict.
    nonisolated func confirm(_ hold: HeldRun) async {
        let probe = await ProbeRunner.probe(hold.paths)
        await settle(hold, probe: probe)
    }

    /// The end of a hold: the verdict counts (and its alert is raised, in the same transaction)
    /// or the run becomes `interrupted`.
    func settle(_ hold: HeldRun, probe: ArchiveProbe?) {
        confirming.remove(hold.id)
        // Stopping (the row keeps its hold for the next start), or superseded by a newer run.
        guard !shutdownRequested.load(ordering: .relaxed), held[hold.id] != nil else { return }
        let decision: RunSettling.Confirmation = probe.map { RunSettling.afterHold(started: hold.identities, probe: $0) }
            ?? .interrupted(.noAnswer(path: hold.archive))
        let record: RunRecord?
        do {
            switch decision {
            case .confirm:
                try confirmHold(hold)
            case .interrupted(let reason):
                try store.interruptHeldRun(id: hold.id, reason: reason.text)
                logger.warning("a failing verdict did not hold: the archive was not still", metadata: [
                    "run.id": "\(hold.id)", "archive.path": "\(hold.archive)", "reason": "\(reason.text)",
                ])
            }
            record = try store.run(id: hold.id)
        } catch {
            // Tried again a settle time later; the row keeps its hold meanwhile.
            logger.critical("cannot record the end of a held verdict", metadata: ["run.id": "\(hold.id)", "error": "\(error)"])
            held[hold.id]?.until = clock() + max(configured(hold.destination)?.settle ?? 60, 1)
            return
        }
        held[hold.id] = nil
        historyChanged(hold.destination)
        metricsDirty = true
        if var tracker = trackers.removeValue(forKey: hold.destination) {
            if let record, let verdict = record.verdict {
                tracker.recordRun(path: hold.archive, .init(
                    size: record.archiveSize, mtime: record.archiveMtime, finished: record.finished ?? clock(), verdict: verdict))
            }
            tracker.markInactive(hold.archive)
            trackers[hold.destination] = tracker
        }
        if case .interrupted(let reason) = decision { notStill(hold.archive, destination: hold.destination, reason) }
        evaluateStates([hold.destination])
        wake.signal()
    }

    /// Clears the hold and appends the run's alert in one transaction.
    private func confirmHold(_ hold: HeldRun) throws(StoreError) {
        guard let record = try store.run(id: hold.id) else { return }
        let failures = try store.failures(runID: hold.id).prefix(Alert.detailLimit).map { FailureSummary($0) }
        // Only `fail` and `error` are held; anything else would still be alerted, as an error.
        guard let alert = Self.runAlert(
            destination: hold.destination, archive: hold.archive, verdict: record.verdict ?? .error, failures: Array(failures),
            failureCount: record.failureCount, error: record.error)
            ?? Self.runAlert(destination: hold.destination, archive: hold.archive, verdict: .error, failures: [], failureCount: 0, error: record.error)
        else { return }
        let time = clock()
        let seq = try store.confirmHeldRun(id: hold.id, alertTime: time, kind: alert.kind.rawValue, destination: hold.destination) { seq in
            let payload = Alert(
                seq: seq, kind: alert.kind, time: time, destination: hold.destination, archive: hold.archive, runId: hold.id,
                summary: alert.summary, details: alert.details, failureCount: alert.failureCount)
            return String(decoding: WireProtocol.line(payload).dropLast(), as: UTF8.self)
        }
        logger.error("failing verdict confirmed: the archive stayed still", metadata: ["run.id": "\(hold.id)", "archive.path": "\(hold.archive)"])
        if let seq {
            alertFeed.published(seq)
            logger.warning("alert raised", metadata: [
                "alert.seq": "\(seq)", "alert.kind": "\(alert.kind.rawValue)", "destination": "\(hold.destination)", "summary": "\(alert.summary)",
            ])
        }
    }

    /// Takes up the verdicts a previous daemon held (after `rebuildTrackers`).
    func loadHeldRuns() {
        let runs: [RunRecord]
        do {
            runs = try store.heldRuns()
        } catch {
            logger.error("cannot read held verdicts", metadata: ["error": "\(error)"])
            return
        }
        for run in runs {
            guard let id = run.id, let until = run.heldUntil else { continue }
            let identities = run.heldIdentities.flatMap { try? JSONDecoder().decode([FileIdentity?].self, from: Data($0.utf8)) } ?? []
            hold(HeldRun(
                id: id, destination: run.destination, archive: run.archivePath,
                paths: settlingPaths(run.archivePath, destination: run.destination), identities: identities, until: until))
        }
    }

    /// Holds a failing verdict: the archive stays out of the schedule until the hold ends.
    func hold(_ run: HeldRun) {
        // A run requested during a hold supersedes the held verdict: the newer one counts.
        for older in held.values where older.archive == run.archive && older.id != run.id {
            held[older.id] = nil
            try? store.interruptHeldRun(id: older.id, reason: "superseded by run \(run.id) of the same archive")
        }
        held[run.id] = run
        historyChanged(run.destination)
        if var tracker = trackers.removeValue(forKey: run.destination) {
            tracker.markActive(run.archive)
            let at = Date(timeIntervalSince1970: run.until).formatted(.iso8601)
            tracker.wait(run.archive, because: "a failure of \((run.archive as NSString).lastPathComponent) is reported at \(at) if the archive stays unchanged until then")
            trackers[run.destination] = tracker
        }
    }

    static func encode(_ identities: [FileIdentity?]) -> String {
        (try? String(decoding: JSONEncoder().encode(identities), as: UTF8.self)) ?? "[]"
    }
}
