import Foundation
import Testing
import VerifyProtocol

/// The report's pure parts: one state per day, and archive series with their shrinks.
struct ReportCalendarTests {
    static let utc = TimeZone(identifier: "UTC")!
    /// 2026-12-01T00:00:00Z.
    static let day0 = 1_796_083_200.0

    func run(_ id: Int64, day: Double, hour: Double = 3, verdict: RunVerdict, archive: String = "/b/etc-1.tar", mtime: Double? = nil,
             size: Int64 = 1000, entries: Int = 10) -> ReportRun {
        let finished = Self.day0 + day * 86_400 + hour * 3600
        return ReportRun(
            id: id, archive: archive, archiveSize: size, archiveMtime: mtime ?? finished - 600, started: finished - 60,
            finished: finished, verdict: verdict, entriesSeen: entries, entriesChecked: entries, failureCount: verdict == .fail ? 1 : 0)
    }

    @Test func aDayTakesItsWorstVerdictAndADayWithoutARunSaysSo() {
        let runs = [
            run(1, day: 0, verdict: .pass), run(2, day: 0, hour: 5, verdict: .fail),
            run(3, day: 1, verdict: .error), run(4, day: 1, hour: 4, verdict: .pass),
            run(5, day: 3, verdict: .interrupted), run(6, day: 4, verdict: .pass),
        ]
        let days = ReportCalendar.days(runs: runs, since: Self.day0 + 3600, until: Self.day0 + 4 * 86_400 + 7200, maxAge: nil, timeZone: Self.utc)
        #expect(days.map(\.date) == ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05"])
        #expect(days.map(\.state) == [.fail, .error, .noRun, .noRun, .pass])
        #expect(days[0].passed == 1 && days[0].failed == 1)
        #expect(days[1].errors == 1 && days[1].passed == 1)
    }

    @Test func daysWithoutANewArchiveForLongerThanMaxAgeAreStale() {
        // Archives made on day 0 only, re-verified daily; max_age 2 days.
        let mtime = Self.day0 + 3600
        let runs = (0...5).map { run(Int64($0 + 1), day: Double($0), verdict: .pass, mtime: mtime) }
        let days = ReportCalendar.days(runs: runs, since: Self.day0, until: Self.day0 + 5 * 86_400 + 7200, maxAge: 2 * 86_400, timeZone: Self.utc)
        // Day 2 ends 3 days - 1 h after the archive: stale from there, even though runs passed.
        #expect(days.map(\.state) == [.pass, .pass, .stale, .stale, .stale, .stale])
        // A failure outranks staleness.
        let failing = runs + [run(9, day: 3, hour: 6, verdict: .fail, mtime: mtime)]
        let again = ReportCalendar.days(runs: failing, since: Self.day0, until: Self.day0 + 5 * 86_400 + 7200, maxAge: 2 * 86_400, timeZone: Self.utc)
        #expect(again[3].state == .fail)
    }

    @Test func daysWhoseRunsTheBoundLeftOutAreNotClaimedEmpty() {
        // Runs before day 2 were left out; day 2 has one of its runs in the report.
        let runs = [run(5, day: 2, hour: 12, verdict: .pass), run(6, day: 3, verdict: .pass)]
        let days = ReportCalendar.days(
            runs: runs, since: Self.day0, until: Self.day0 + 4 * 86_400, maxAge: nil, timeZone: Self.utc, omittedBefore: runs[0].finished)
        #expect(days.map(\.state) == [.notInReport, .notInReport, .pass, .pass, .noRun])
    }

    @Test func daysFollowTheGivenTimeZone() throws {
        // 23:30 UTC on 1 December is 2 December in Berlin (UTC+1).
        let runs = [run(1, day: 0, hour: 23.5, verdict: .fail)]
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let utc = ReportCalendar.days(runs: runs, since: Self.day0, until: Self.day0 + 86_400 + 3600, maxAge: nil, timeZone: Self.utc)
        let local = ReportCalendar.days(runs: runs, since: Self.day0, until: Self.day0 + 86_400 + 3600, maxAge: nil, timeZone: berlin)
        #expect(utc.first(where: { $0.state == .fail })?.date == "2026-12-01")
        #expect(local.first(where: { $0.state == .fail })?.date == "2026-12-02")
    }

    @Test func anEmptyOrBackwardWindowHasNoDaysAndAHugeOneIsBounded() {
        #expect(ReportCalendar.days(runs: [], since: Self.day0, until: Self.day0 - 1, maxAge: nil, timeZone: Self.utc).isEmpty)
        let huge = ReportCalendar.days(runs: [], since: -1e12, until: Self.day0, maxAge: nil, timeZone: Self.utc)
        #expect(huge.count <= 403)
    }

    @Test func seriesGroupArchivesByTheirNameWithoutDigitsAndMarkAShrink() {
        let runs = [
            run(1, day: 0, verdict: .pass, archive: "/b/etc-2026-12-01.tar.gz", size: 1000, entries: 100),
            run(2, day: 1, verdict: .pass, archive: "/b/etc-2026-12-02.tar.gz", size: 1050, entries: 101),
            run(3, day: 1, hour: 9, verdict: .pass, archive: "/b/etc-2026-12-02.tar.gz", mtime: Self.day0 + 86_400 + 3 * 3600 - 600, size: 1050, entries: 101),
            run(4, day: 2, verdict: .pass, archive: "/b/etc-2026-12-03.tar.gz", size: 400, entries: 40),
            run(5, day: 2, verdict: .pass, archive: "/b/home/alice.tar", size: 5000, entries: 7),
            run(6, day: 3, verdict: .error, archive: "/b/etc-2026-12-04.tar.gz", size: 10, entries: 0),
            run(7, day: 3, verdict: .pass, archive: "/b/etc-2026-12-05.tar.gz", size: 1000, entries: 95),
        ]
        let series = ArchiveSeries.of(runs, destinationPath: "/b", tolerance: 0.2)
        #expect(series.map(\.key) == ["etc-#-#-#.tar.gz", "home/alice.tar"])
        let etc = series[0].points
        // Run 3 re-read the same archive: it is one point; the errored run is none.
        #expect(etc.map(\.runId) == [1, 3, 4, 7])
        #expect(etc.map { $0.shrank == nil } == [true, true, false, true])
        #expect(abs((etc[2].shrank ?? 0) - (1 - 400.0 / 1050.0)) < 1e-9)
    }

    @Test func entriesAloneCanMarkAShrink() {
        let runs = [
            run(1, day: 0, verdict: .pass, archive: "/b/x.tar", mtime: 1, size: 1000, entries: 100),
            run(2, day: 1, verdict: .fail, archive: "/b/x.tar", mtime: 2, size: 1000, entries: 50),
        ]
        let points = ArchiveSeries.of(runs, destinationPath: "/b", tolerance: 0.2)[0].points
        #expect(points.last?.shrank == 0.5)
    }

    @Test func derivingFillsDaysAndSeriesAndNamesTheTimeZone() {
        let destination = DestinationReport(
            name: "n", path: "/b", state: .ok, reason: "r", maxAge: nil, shrinkAlert: nil, archives: 1, coverage: nil,
            runs: [run(1, day: 0, verdict: .pass)], runsOmitted: 0, failures: [], failuresOmitted: 0)
        let report = ReportResult(generated: Self.day0 + 86_400, since: Self.day0, version: "t", destinations: [destination])
        let derived = report.derived(timeZone: Self.utc)
        #expect(derived.timeZone == Self.utc.identifier)
        #expect(derived.destinations[0].days?.map(\.state) == [.pass, .noRun])
        #expect(derived.destinations[0].series?.count == 1)
    }
}
