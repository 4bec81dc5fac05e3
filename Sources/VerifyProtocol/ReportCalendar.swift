import Foundation

/// What a day of a destination's report shows.
public enum DayState: String, Codable, Sendable, CaseIterable {
    /// A run failed that day: the backup is bad.
    case fail
    /// A run could not verify that day (and none failed).
    case error
    /// No failure, but the newest archive known that day was older than `max_age`.
    case stale
    /// Every run that day passed.
    case pass
    /// No run ended that day (interrupted runs do not count).
    case noRun = "no_run"
    /// No run of that day is in the report: the reply's bound left that day's runs out.
    case notInReport = "not_in_report"
}

/// One day of the calendar.
public struct ReportDay: Codable, Sendable, Equatable {
    /// The day, `YYYY-MM-DD`, in the time zone of the report.
    public var date: String
    /// Its first second (Unix seconds).
    public var start: Double
    public var state: DayState
    /// Runs that ended that day, by verdict.
    public var passed: Int
    public var failed: Int
    public var errors: Int

    public init(date: String, start: Double, state: DayState, passed: Int = 0, failed: Int = 0, errors: Int = 0) {
        self.date = date
        self.start = start
        self.state = state
        self.passed = passed
        self.failed = failed
        self.errors = errors
    }
}

/// Turns a window of runs into one state per day. Pure: the time zone and the window are given.
public enum ReportCalendar {
    /// The days from the one holding `since` to the one holding `until`, each with its state.
    /// A day's runs are those that finished in it; `fail` outranks `error`, which outranks
    /// `stale`, which outranks `pass`. Stale needs `maxAge` and a run before the day's end that
    /// tells the newest archive's modification time.
    /// `omittedBefore`: runs that ended before it were left out of the report, so a day before
    /// it without a run in the report is `notInReport`, not `noRun`.
    public static func days(
        runs: [ReportRun], since: Double, until: Double, maxAge: Double?, timeZone: TimeZone, omittedBefore: Double? = nil
    ) -> [ReportDay] {
        guard until >= since else { return [] }
        let since = max(since, until - ReportBounds.maxWindow)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let sorted = runs.sorted { $0.finished < $1.finished }
        var days: [ReportDay] = []
        var day = calendar.startOfDay(for: Date(timeIntervalSince1970: since))
        var index = 0
        var newestMtime: Double?
        while day.timeIntervalSince1970 <= until, days.count <= Int(ReportBounds.maxWindow / 86_400) + 2 {
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            let end = next.timeIntervalSince1970
            var entry = ReportDay(date: dateText(day, calendar), start: day.timeIntervalSince1970, state: .noRun)
            while index < sorted.count, sorted[index].finished < end {
                let run = sorted[index]
                newestMtime = max(newestMtime ?? run.archiveMtime, run.archiveMtime)
                if run.finished >= entry.start {
                    switch run.verdict {
                    case .pass: entry.passed += 1
                    case .fail: entry.failed += 1
                    case .error: entry.errors += 1
                    default: break
                    }
                }
                index += 1
            }
            entry.state = state(of: entry, newestMtime: newestMtime, at: min(end, until), maxAge: maxAge)
            if let omittedBefore, entry.start < omittedBefore, entry.state == .noRun || entry.state == .stale { entry.state = .notInReport }
            days.append(entry)
            day = next
        }
        return days
    }

    static func state(of day: ReportDay, newestMtime: Double?, at time: Double, maxAge: Double?) -> DayState {
        if day.failed > 0 { return .fail }
        if day.errors > 0 { return .error }
        if let maxAge, let newestMtime, time - newestMtime > maxAge { return .stale }
        return day.passed > 0 ? .pass : .noRun
    }

    static func dateText(_ day: Date, _ calendar: Calendar) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: day)
        func two(_ n: Int?) -> String { let n = n ?? 0; return n < 10 ? "0\(n)" : "\(n)" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day))"
    }
}
