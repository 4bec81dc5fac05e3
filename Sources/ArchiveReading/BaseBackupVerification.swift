import Foundation
import VerifyCore

/// A `pg_basebackup -Ft` backup folder verified as one run: `backup_manifest` is read (its own
/// checksum first), `BaseBackupLayout` splits it over the tars, each tar is verified against its
/// part (strict: a file the manifest does not list fails, as pg_verifybackup says), `pg_wal.tar`
/// as an archive alone, and the reports are merged into one whose names are the manifest's.
public enum BaseBackupVerification {
    public static let manifestName = "backup_manifest"

    /// Whether a run of `archive` with `manifest` is a run of its whole base backup: the
    /// archive is a backup's `base.tar*` and the manifest the `backup_manifest` beside it (the
    /// daemon's destination of base backups: `archives = ["*/base.tar*"]`).
    public static func isBaseTar(_ archive: String, manifest: String?) -> Bool {
        let url = URL(fileURLWithPath: archive)
        return BaseBackupLayout.stem(of: url.lastPathComponent) == "base"
            && manifest.map { URL(fileURLWithPath: $0).standardized.path } == url.deletingLastPathComponent().appendingPathComponent(manifestName).standardized.path
    }

    /// Whether `path` is a folder holding a `backup_manifest`.
    public static func isBaseBackup(_ path: String) -> Bool {
        DestinationFile.kind(of: path) == .directory && DestinationFile.kind(of: path + "/" + manifestName) != nil
    }

    /// Verifies the folder `request.archivePath`; the request's manifest is ignored (the
    /// folder's own is read), its sample and options apply to each tar. Never throws.
    public static func run(_ request: VerificationRequest) -> VerificationReport {
        let folder = request.archivePath
        let manifest: Manifest
        let layout: BaseBackupLayout
        do {
            manifest = try ManifestLoading.manifest(at: folder + "/" + manifestName, format: .pgBackupManifest, what: "manifest")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            layout = try BaseBackupLayout.plan(folder: folder, fileNames: names, manifest: manifest)
        } catch {
            return .notStarted(request, error: "\(error)")
        }
        var whole = request
        whole.manifest = manifest
        var reports: [(BaseBackupLayout.Part, VerificationReport)] = []
        for part in layout.parts {
            var one = request
            one.archivePath = folder + "/" + part.fileName
            one.manifest = part.manifest
            one.archiveDigest = nil
            one.coverage = nil
            one.checkOptions.strict = part.manifest != nil
            if let record = request.onCheckpoint { one.onCheckpoint = renaming(record, prefix: Array(part.prefix.utf8)) }
            reports.append((part, ArchiveVerification.run(one)))
        }
        return merge(reports, missing: layout.missing, request: whole)
    }

    /// A checkpoint callback that names entries as the manifest does (`pg_tblspc/OID/` first).
    private static func renaming(
        _ record: @escaping @Sendable ([EntryVerification]) -> Void, prefix: [UInt8]
    ) -> @Sendable ([EntryVerification]) -> Void {
        { results in
            record(results.map { result -> EntryVerification in
                var named = result
                named.path = EntryPath(normalizing: prefix + result.path.bytes)
                return named
            })
        }
    }

    /// One report for the backup: the worst verdict (a failure before an error), every finding
    /// named as the manifest names it (a tar's own damage by the tar's file name).
    static func merge(
        _ reports: [(BaseBackupLayout.Part, VerificationReport)], missing: [ManifestEntry], request: VerificationRequest
    ) -> VerificationReport {
        var merged = VerificationReport.notStarted(request, error: "")
        merged.result = CheckResult(verdict: .pass)
        merged.format = "pg_basebackup"
        var errors: [String] = []
        for (part, report) in reports {
            var result = report.result
            if part.prefix.isEmpty { ignoreWhatPgVerifybackupIgnores(&result) }
            let rename = { (path: EntryPath) in EntryPath(normalizing: Array(part.prefix.utf8) + path.bytes) }
            merged.result.findings += result.findings.map { finding in
                var named = finding
                named.path = finding.path.map(rename) ?? EntryPath(part.fileName)
                return named
            }
            merged.result.unexpected += result.unexpected.map(rename)
            merged.result.unexpectedCount += result.unexpectedCount
            if let error = result.error, !error.isEmpty { errors.append("\(part.fileName): \(error)") }
            merged.result.entriesSeen += result.entriesSeen
            merged.result.selected += result.selected
            merged.result.checked += result.checked
            merged.result.notVerified += result.notVerified.map(rename)
            merged.result.entriesRead += result.entriesRead
            merged.result.contentBytes += result.contentBytes
            merged.filters = Array(Set(merged.filters + report.filters)).sorted()
            merged.fileSize += report.fileSize
            merged.bytesRead += report.bytesRead
            merged.durationSeconds += report.durationSeconds
            merged.stalled = merged.stalled || report.stalled
            merged.warnings += report.warnings.map { "\(part.fileName): \($0)" }
            merged.budgetReached = merged.budgetReached ?? report.budgetReached
        }
        for entry in missing {
            merged.result.findings.append(Finding(path: entry.path, kind: .missing, expected: "in a tablespace tar that is not in the backup folder"))
            merged.result.selected += 1
            merged.result.checked += 1
        }
        let verdicts = reports.map { part, report in
            var result = report.result
            if part.prefix.isEmpty { ignoreWhatPgVerifybackupIgnores(&result) }
            return result.verdict
        }
        merged.result.verdict =
            verdicts.contains(.fail) || !missing.isEmpty ? .fail
            : verdicts.contains(.error) ? .error
            : verdicts.contains(.interrupted) ? .interrupted : .pass
        merged.result.error = errors.isEmpty ? nil : errors.joined(separator: "; ")
        return merged
    }

    /// base.tar's files outside the manifest that pg_verifybackup ignores (WAL from `-X fetch`,
    /// `standby.signal` from `-R`) are not unexpected; a failure left with no finding passes.
    private static func ignoreWhatPgVerifybackupIgnores(_ result: inout CheckResult) {
        let before = result.findings.count
        result.findings.removeAll { $0.kind == .unexpected && $0.path.map(BaseBackupLayout.isIgnored) == true }
        let dropped = result.unexpected.filter(BaseBackupLayout.isIgnored).count
        result.unexpected.removeAll(where: BaseBackupLayout.isIgnored)
        result.unexpectedCount -= dropped
        if result.findings.count < before, result.findings.isEmpty, result.verdict == .fail { result.verdict = .pass }
    }
}
