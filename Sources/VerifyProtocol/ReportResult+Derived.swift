import Foundation

extension ReportResult {
    /// The shrink that marks an archive in a series when the destination has no `shrink_alert`.
    public static let defaultShrinkTolerance = 0.2

    /// The reply with what `verifyctl report` derives from it: each destination's days (in
    /// `timeZone`) and archive series. Pure.
    public func derived(timeZone: TimeZone) -> ReportResult {
        var report = self
        report.timeZone = timeZone.identifier
        report.destinations = destinations.map { destination in
            var d = destination
            // Runs left out by the bound are the oldest: before the oldest one here, days are incomplete.
            let omittedBefore = d.runsOmitted > 0 ? (d.runs.first?.finished ?? generated + 1) : nil
            d.days = ReportCalendar.days(
                runs: d.runs, since: since, until: generated, maxAge: d.maxAge, timeZone: timeZone, omittedBefore: omittedBefore)
            d.series = ArchiveSeries.of(d.runs, destinationPath: d.path, tolerance: d.shrinkAlert ?? Self.defaultShrinkTolerance)
            return d
        }
        return report
    }
}
