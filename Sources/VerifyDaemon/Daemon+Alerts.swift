import Foundation
import Logging
import VerifyCore
import VerifyProtocol
import VerifyStore

extension Daemon {
    /// Writes an alert to the log (the truth), then wakes the subscribers. Returns its sequence number.
    @discardableResult
    func raise(
        _ kind: AlertKind, destination: String, archive: String? = nil, runId: Int64? = nil, summary: String,
        details: [FailureSummary] = [], failureCount: Int = 0
    ) -> Int64? {
        let time = clock()
        do {
            let seq = try store.appendAlert(time: time, kind: kind.rawValue, destination: destination) { seq in
                let alert = Alert(
                    seq: seq, kind: kind, time: time, destination: destination, archive: archive, runId: runId,
                    summary: summary, details: details, failureCount: failureCount)
                return String(decoding: WireProtocol.line(alert).dropLast(), as: UTF8.self)
            }
            alertFeed.published(seq)
            // Its destination's alert counter changed.
            totalsChanged(destination)
            logger.log(
                level: kind.severity == .info ? .info : .warning, "alert raised",
                metadata: ["alert.seq": "\(seq)", "alert.kind": "\(kind.rawValue)", "destination": "\(destination)", "summary": "\(summary)"])
            return seq
        } catch {
            logger.critical("cannot write an alert to the log", metadata: ["alert.kind": "\(kind.rawValue)", "error": "\(error)"])
            return nil
        }
    }

    /// Raises the alert of a finished run, if it failed.
    func raiseRunAlert(_ run: StartedRun, _ result: WorkerResult) {
        let failures = result.failures.prefix(Alert.detailLimit).map {
            FailureSummary(path: $0.path, kind: $0.kind, expected: $0.expected, actual: $0.actual)
        }
        guard let alert = Self.runAlert(
            destination: run.destination, archive: run.file.path, verdict: result.verdict, failures: Array(failures),
            failureCount: result.failureCount, error: result.error)
        else { return }
        raise(
            alert.kind, destination: run.destination, archive: run.file.path, runId: run.id, summary: alert.summary,
            details: alert.details, failureCount: alert.failureCount)
    }

    /// The alert a run with this verdict raises: nil unless it failed or errored.
    static func runAlert(
        destination: String, archive: String, verdict: Verdict, failures: [FailureSummary], failureCount: Int, error: String?
    ) -> (kind: AlertKind, summary: String, details: [FailureSummary], failureCount: Int)? {
        let name = (archive as NSString).lastPathComponent
        switch verdict {
        case .fail where failures.contains { $0.kind == FindingKind.signatureInvalid.rawValue }:
            let reason = failures.first { $0.kind == FindingKind.signatureInvalid.rawValue }?.actual ?? ""
            return (.signatureInvalid, "\(destination): \(name): its manifest's signature is not valid (\(reason)); \(failureCount) failure(s)",
                    Array(failures.prefix(Alert.detailLimit)), failureCount)
        case .fail:
            return (.verificationFailed, "\(destination): \(name) failed verification: \(failureCount) failure(s)",
                    Array(failures.prefix(Alert.detailLimit)), failureCount)
        case .error:
            return (.verificationError, "\(destination): \(name) could not be verified: \(error ?? "unknown error")", [], 0)
        case .pass, .interrupted:
            return nil
        }
    }

    /// Raises `archive_shrank` when a new archive passed but is smaller than the last archive
    /// that passed before it by more than the destination's `shrink_alert`: once, at its first
    /// run (a re-verification says nothing new).
    func raiseShrinkAlert(_ run: StartedRun, _ result: WorkerResult) {
        guard result.verdict == .pass, let tolerance = configured(run.destination)?.shrinkAlert else { return }
        do {
            guard try !store.hasEarlierRun(
                destination: run.destination, archive: run.file.path, size: run.file.size, mtime: run.file.mtime, before: run.id),
                  let previous = try store.previousPassedArchiveRun(destination: run.destination, before: run.file.mtime)
            else { return }
            // Entries are compared only between runs that walked their whole archive.
            let complete = { (note: String?) in note.map { !$0.contains("max_duration") && !$0.contains("max_bytes") } ?? true }
            let bothComplete = complete(result.budgetReached) && complete(previous.note)
            let current = ArchiveShrink.Measure(
                name: (run.file.path as NSString).lastPathComponent, bytes: run.file.size,
                entries: bothComplete && result.entriesSeen > 0 ? result.entriesSeen : nil)
            let before = ArchiveShrink.Measure(
                name: (previous.archivePath as NSString).lastPathComponent, bytes: previous.archiveSize,
                entries: bothComplete && previous.entriesSeen > 0 ? previous.entriesSeen : nil)
            guard let shrink = ArchiveShrink.check(current, previous: before, tolerance: tolerance) else { return }
            raise(
                .archiveShrank, destination: run.destination, archive: run.file.path, runId: run.id,
                summary: "\(run.destination): " + ArchiveShrink.summary(current, previous: before, shrink: shrink)
                    + " (shrink_alert \(Int((tolerance * 100).rounded()))%)")
        } catch {
            logger.error("cannot compare an archive with the previous one", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
        }
    }

    /// Compares these destinations' states (those whose tracker changed, or whose state time
    /// alone changes: `TrackerTable.takeChanged`) with the last one recorded and raises `stale`,
    /// `unavailable` and `recovered` on changes. The states are stored, so a restart neither
    /// repeats nor misses a change. Each state is noted in the table (the status line's counts).
    func evaluateStates(_ names: [String]) {
        let now = clock()
        for name in names {
            guard let tracker = trackers[name], configured(name) != nil else {
                trackers.noteState(name, nil, changesAt: nil)
                continue
            }
            let (state, reason) = tracker.state(at: now)
            trackers.noteState(name, state, changesAt: tracker.stateChangesAt(after: now))
            guard tracker.scan != nil else { continue }
            let previous = knownStates[name].flatMap(DestinationState.init(rawValue:)) ?? .pending
            // `pending` (found, not verified yet) is a passage, not a state worth an alert: a
            // destination that goes stale -> pending -> ok has recovered from stale.
            guard state != previous, state != .pending else { continue }
            knownStates[name] = state.rawValue
            metricsDirty = true
            do {
                try store.setDestinationState(name, state: state.rawValue, since: now)
            } catch {
                logger.error("cannot record a destination state", metadata: ["error": "\(error)"])
            }
            logger.notice("destination state changed", metadata: [
                "destination": "\(name)", "from": "\(previous.rawValue)", "to": "\(state.rawValue)", "reason": "\(reason)",
            ])
            switch state {
            case .stale: raise(.stale, destination: name, archive: tracker.archives.first?.path, summary: "\(name) is stale: \(reason)")
            case .unavailable: raise(.unavailable, destination: name, summary: "\(name) is unavailable: \(reason)")
            case .ok where previous == .failing && tracker.failureEnd == .removed:
                // Not a recovery: the failing archive went away (`archive_removed` said so).
                logger.notice("destination no longer failing: its failing archive was removed", metadata: ["destination": "\(name)"])
            case .ok where [.failing, .stale, .unavailable].contains(previous):
                raise(.recovered, destination: name, archive: tracker.archives.first?.path, summary: "\(name) is ok again (was \(previous.rawValue))")
            default: break
            }
        }
    }
}
