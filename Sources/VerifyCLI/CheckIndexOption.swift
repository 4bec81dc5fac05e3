import ArchiveReading
import VerifyCore

/// `verifyctl check --index FILE`: the index is used when it matches the archive, and written
/// again whenever the archive was read sequentially from start to end.
enum CheckIndexOption {
    /// Loads FILE into the request (a missing file is fine: it will be written). Returns a note
    /// for the report when the file exists and cannot be used.
    static func prepare(_ path: String, _ request: inout VerificationRequest) -> String? {
        request.recordsSeekIndex = true
        do {
            request.seekIndex = try SeekIndexFile.load(path)
            return nil
        } catch {
            return "\(error.description): not used"
        }
    }

    /// After the run: writes the index the run built, and says what became of FILE.
    static func finish(_ path: String, _ report: VerificationReport, loadNote: String?) -> String {
        var parts: [String] = []
        if let loadNote { parts.append(loadNote) }
        if let plan = report.samplePlan { parts.append(plan) }
        if let use = report.seekIndexUse { parts.append(use.summary) }
        if let built = report.builtSeekIndex {
            do {
                try SeekIndexFile.save(built, to: path)
                parts.append("written to \(path) (\(built.entries.count) entries)")
            } catch {
                parts.append("not written: \(error.description)")
            }
        } else if report.seekIndexUse == nil || report.seekIndexUse.map({ if case .used = $0 { false } else { true } }) == true {
            parts.append("not written: \(report.seekIndexNotBuilt ?? "the archive was not read from start to end")")
        }
        return parts.joined(separator: "; ")
    }
}
