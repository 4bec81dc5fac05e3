import VerifyProtocol
import VerifyStore

extension RunSummary {
    init(_ record: RunRecord) {
        self.init(
            id: record.id ?? 0, destination: record.destination, archive: record.archivePath, archiveSize: record.archiveSize,
            archiveMtime: record.archiveMtime, archiveDigest: record.archiveDigest, trigger: record.trigger,
            started: record.started, finished: record.finished, verdict: record.verdict ?? "running", sample: record.sample,
            seed: String(record.seedValue), entriesSeen: record.entriesSeen, entriesSelected: record.entriesSelected,
            entriesChecked: record.entriesChecked, bytesRead: record.bytesRead, durationSeconds: record.durationSeconds,
            failureCount: record.failureCount, error: record.error, note: record.note)
    }
}

extension FailureSummary {
    init(_ record: FailureRecord) {
        self.init(path: record.path, kind: record.kind, expected: record.expected, actual: record.actual)
    }
}
