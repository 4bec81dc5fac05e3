/// What checking one archive found.
public struct CheckResult: Sendable {
    public var verdict: Verdict
    /// Every failure, in archive-then-name order (`unexpected` ones only under `--strict`).
    public var findings: [Finding]
    /// Entries the manifest does not list (directories excepted), at most `unexpectedListLimit`.
    public var unexpected: [EntryPath]
    /// How many entries the manifest does not list, in all.
    public var unexpectedCount: Int
    /// Why the archive could not be verified, for the `error` verdict.
    public var error: String?
    /// Entries the archive holds (all types).
    public var entriesSeen: Int
    /// Manifest entries in the run's sample.
    public var selected: Int
    /// Sampled entries that were checked (found and compared, or found missing).
    public var checked: Int
    /// Sampled hard links whose content lives in an entry the sample skipped.
    public var notVerified: [EntryPath]
    /// Entries whose data was read.
    public var entriesRead: Int
    /// Bytes of entry content read (holes included).
    public var contentBytes: Int64

    public static let unexpectedListLimit = 1000

    public init(
        verdict: Verdict, findings: [Finding] = [], unexpected: [EntryPath] = [], unexpectedCount: Int = 0,
        error: String? = nil, entriesSeen: Int = 0, selected: Int = 0, checked: Int = 0,
        notVerified: [EntryPath] = [], entriesRead: Int = 0, contentBytes: Int64 = 0
    ) {
        self.verdict = verdict
        self.findings = findings
        self.unexpected = unexpected
        self.unexpectedCount = unexpectedCount
        self.error = error
        self.entriesSeen = entriesSeen
        self.selected = selected
        self.checked = checked
        self.notVerified = notVerified
        self.entriesRead = entriesRead
        self.contentBytes = contentBytes
    }
}
