import Foundation
import VerifyCore

extension VerificationReport {
    /// The report of a run that ends now with this result.
    func ended(_ result: CheckResult, after stopwatch: Stopwatch) -> VerificationReport {
        var report = self
        report.result = result
        report.durationSeconds = stopwatch.seconds()
        return report
    }

    /// Takes what the reader found and the check's result, then the checks of the whole file
    /// that only the end of the read can make: read errors, the archive's digest, the end of a
    /// pg_dump custom dump, a single stream's content.
    mutating func take(_ outcome: ArchiveReader.Outcome, result: CheckResult, request: VerificationRequest) {
        if !outcome.stoppedEarly { budgetReached = nil }
        self.result = result
        format = outcome.format
        filters = outcome.filters
        fileSize = request.archiveStream?.byteCount ?? outcome.fileSize
        bytesRead = outcome.bytesRead
        warnings = outcome.warnings + ArchiveVerification.b2sumHint(request.manifest, result)
        membersReadDirectly = outcome.membersReadDirectly
        entriesFromZipDirectory = outcome.entriesFromZipDirectory
        if let ioError = outcome.ioError {
            self.result.verdict = .error
            self.result.error = "\(request.archivePath): \(ioError)"
        }
        if let failure = request.archiveStream?.failure {
            // The stream stalled or failed: the archive could not be read to its end, which
            // proves nothing against it (the findings that followed from it stay listed).
            self.result.verdict = .error
            self.result.error = failure
        }
        if request.archiveStream != nil {
            streamDigest = outcome.wholeFileDigests.first { $0.algorithm == .sha256 }
        }
        if let expected = request.archiveDigest, outcome.damage == nil, outcome.ioError == nil {
            checkArchiveDigest(expected, outcome: outcome)
        }
        if let dump = outcome.pgCustomDump { checkPgCustomDump(dump) }
        if let stream = outcome.singleStream {
            singleStream = ArchiveVerification.checkSingleStream(
                stream, filters: outcome.filters, into: &self.result,
                readToEnd: outcome.damage == nil && outcome.ioError == nil && !outcome.stoppedEarly)
        }
    }

    /// The whole file's digest against the one expected (`--archive-digest`, `archive_digest`).
    private mutating func checkArchiveDigest(_ expected: (digest: Digest, source: String), outcome: ArchiveReader.Outcome) {
        let actual = outcome.wholeFileDigests.first(where: { $0.algorithm == expected.digest.algorithm })
        archiveDigestActual = actual
        guard let actual, actual != expected.digest else { return }
        result.findings.insert(Finding(
            path: nil, kind: .corruptArchive,
            expected: "archive \(expected.digest.algorithm.rawValue) \(expected.digest.hex) (from \(expected.source))",
            actual: "archive \(actual.algorithm.rawValue) \(actual.hex)"), at: 0)
        if result.verdict == .pass { result.verdict = .fail }
    }

    /// A pg_dump custom format dump: what was checked, and whether it ended as pg_dump ends it.
    private mutating func checkPgCustomDump(_ dump: PgCustomDumpSummary) {
        singleStream = SingleStreamReport(
            checks: dump.checks, dump: .pgDumpCustom, dumpComplete: dump.damage == nil && dump.ioError == nil ? dump.truncation == nil : nil,
            contentBytes: dump.contentBytes)
        guard let truncation = dump.truncation, dump.damage == nil, dump.ioError == nil else { return }
        result.findings.insert(Finding(
            path: nil, kind: .truncatedDump, expected: "a pg_dump custom format dump with \(DumpProducer.pgDumpCustom.endMarker)",
            actual: truncation), at: 0)
        if result.verdict == .pass { result.verdict = .fail }
    }
}

/// Seconds since the run began, on the monotonic clock.
struct Stopwatch {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init() { start = clock.now }

    func seconds() -> Double {
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
