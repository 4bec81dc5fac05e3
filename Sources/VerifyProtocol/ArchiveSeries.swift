/// The archives of one series (the same name but for its digits: `etc-2026-12-01.tar.gz` and
/// `etc-2026-12-02.tar.gz`, or one file rewritten in place), by modification time, so that a
/// backup that shrinks shows before an alert does.
public struct ArchiveSeries: Codable, Sendable, Equatable {
    /// The series' name: the archive's path inside the destination, each run of digits as `#`.
    public var key: String
    public var points: [ArchivePoint]

    public init(key: String, points: [ArchivePoint]) {
        self.key = key
        self.points = points
    }

    /// The series of a destination's runs, each archive (path and mtime) once, largest series
    /// first. `tolerance` is the drop (a fraction of bytes or entries) that marks a shrink.
    public static func of(_ runs: [ReportRun], destinationPath: String, tolerance: Double) -> [ArchiveSeries] {
        var latest: [String: ReportRun] = [:]
        for run in runs where run.verdict == .pass || run.verdict == .fail {
            let id = "\(run.archive)\u{0}\(run.archiveMtime)"
            if let seen = latest[id], seen.id > run.id { continue }
            latest[id] = run
        }
        var grouped: [String: [ReportRun]] = [:]
        for run in latest.values { grouped[key(run.archive, destinationPath: destinationPath), default: []].append(run) }
        let series = grouped.map { key, runs in
            let ordered = runs.sorted { ($0.archiveMtime, $0.id) < ($1.archiveMtime, $1.id) }
            var points: [ArchivePoint] = []
            for run in ordered {
                var point = ArchivePoint(archive: run.archive, mtime: run.archiveMtime, size: run.archiveSize, entries: run.entriesSeen, runId: run.id)
                if let previous = points.last { point.shrank = shrink(point, from: previous, tolerance: tolerance) }
                points.append(point)
            }
            return ArchiveSeries(key: key, points: points)
        }
        return series.sorted { ($0.points.count, $1.key) > ($1.points.count, $0.key) }
    }

    /// The drop from `previous` when bytes or entries fell by more than `tolerance`.
    static func shrink(_ point: ArchivePoint, from previous: ArchivePoint, tolerance: Double) -> Double? {
        let bytes = previous.size > 0 ? 1 - Double(point.size) / Double(previous.size) : 0
        let entries = previous.entries > 0 ? 1 - Double(point.entries) / Double(previous.entries) : 0
        let drop = max(bytes, entries)
        return drop > tolerance ? drop : nil
    }

    /// The path inside the destination with each run of digits as `#`.
    public static func key(_ archive: String, destinationPath: String) -> String {
        var relative = Substring(archive)
        if archive.hasPrefix(destinationPath + "/") { relative = relative.dropFirst(destinationPath.count + 1) }
        var key = ""
        var inDigits = false
        for character in relative {
            if character.isASCII, character.isNumber {
                if !inDigits { key.append("#") }
                inDigits = true
            } else {
                key.append(character)
                inDigits = false
            }
        }
        return key
    }
}

/// One archive of a series.
public struct ArchivePoint: Codable, Sendable, Equatable {
    public var archive: String
    public var mtime: Double
    public var size: Int64
    /// Entries seen by its newest run that read it to the end (pass or fail).
    public var entries: Int
    public var runId: Int64
    /// Set when it shrank from the archive before it by more than the tolerance: the drop.
    public var shrank: Double?

    public init(archive: String, mtime: Double, size: Int64, entries: Int, runId: Int64, shrank: Double? = nil) {
        self.archive = archive
        self.mtime = mtime
        self.size = size
        self.entries = entries
        self.runId = runId
        self.shrank = shrank
    }
}
