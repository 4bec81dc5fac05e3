import VerifyStore

/// A sampled destination's coverage per tracked archive, as read from history, kept so that
/// `status`, `coverage_at_risk` (after every run) and the metrics do not read every tracked
/// archive's coverage again each time (two queries per archive, each as long as its entries).
///
/// An archive's row is read again only when it is dropped: a run of it started or ended, or it
/// went away. Archives newly tracked are read when first asked for. Reads "since" the window's
/// start are counted from the start the rows were read with: once the window has moved on by
/// more than `slack`, every row is read again (at most once per `slack` per destination; never
/// for a destination without `coverage_window`, whose start does not move).
struct KeptCoverage: Sendable {
    /// How far the window's start may move before every row is read again.
    static let slack: Double = 60

    /// The window's start the rows count from.
    let since: Double
    private(set) var rows: [String: HistoryStore.ArchiveCoverage] = [:]
    /// Rows read from history so far (the tests count them).
    private(set) var archivesRead = 0

    init(since: Double) {
        self.since = since
    }

    /// Whether rows counted from `since` still answer for a window starting at `start`.
    func answers(since start: Double) -> Bool {
        abs(start - since) <= Self.slack
    }

    /// Of these archives, those with no row kept.
    func missing(_ archives: [String]) -> [String] {
        archives.filter { rows[$0] == nil }
    }

    mutating func add(_ read: [HistoryStore.ArchiveCoverage]) {
        for row in read { rows[row.archive] = row }
        archivesRead += read.count
    }

    /// The rows of these archives, in their order; rows of archives not among them are dropped.
    mutating func rows(for archives: [String]) -> [HistoryStore.ArchiveCoverage] {
        if rows.count > archives.count {
            let wanted = Set(archives)
            rows = rows.filter { wanted.contains($0.key) }
        }
        return archives.compactMap { rows[$0] }
    }

    /// The archive's coverage changed (a run of it started or ended) or it is gone.
    mutating func forget(_ archive: String) {
        rows[archive] = nil
    }
}
