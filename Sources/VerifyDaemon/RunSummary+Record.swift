import Foundation
import VerifyProtocol
import VerifyStore

extension RunSummary {
    init(_ record: RunRecord) {
        self.init(
            id: record.id ?? 0, destination: record.destination, archive: record.archivePath, archiveSize: record.archiveSize,
            archiveMtime: record.archiveMtime, archiveDigest: record.archiveDigest, trigger: record.trigger,
            started: record.started, finished: record.finished, verdict: RunVerdict(record.verdict), sample: record.sample,
            seed: String(record.seedValue), entriesSeen: record.entriesSeen, entriesSelected: record.entriesSelected,
            entriesChecked: record.entriesChecked, bytesRead: record.bytesRead, durationSeconds: record.durationSeconds,
            failureCount: record.failureCount, error: record.error, note: Self.note(record))
    }

    /// The run's note; a held verdict says that it is not confirmed yet.
    static func note(_ record: RunRecord) -> String? {
        guard let until = record.heldUntil else { return record.note }
        let held = "not confirmed yet: this verdict counts (and is alerted) only if the archive stays unchanged until "
            + Date(timeIntervalSince1970: until).formatted(.iso8601)
        return [held, record.note].compactMap { $0 }.joined(separator: "; ")
    }
}

extension FailureSummary {
    init(_ record: FailureRecord) {
        self.init(path: record.path, kind: record.kind, expected: record.expected, actual: record.actual)
    }
}

extension DestinationTotals {
    init(_ counters: DestinationCounters) {
        self.init(
            runs: counters.runs, readBytes: counters.readBytes, entriesChecked: counters.entriesChecked, alerts: counters.alerts,
            lastPassTime: counters.lastPassTime)
    }
}
