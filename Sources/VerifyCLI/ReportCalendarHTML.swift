import Foundation
import VerifyProtocol

/// The calendar of days: seven columns, Monday first, each day with its number, a symbol and a word.
enum ReportCalendarHTML {
    static func render(_ days: [ReportDay], runsOmitted: Int, oldestShown: Double?) -> String {
        var html = "<h3>Days</h3>\n<p class=\"legend\">\(ReportSymbols.legend)</p>\n"
        guard let first = days.first else { return html + "<p>No day in the window.</p>\n" }
        html += "<ol class=\"calendar\" aria-label=\"one state per day\">\n"
        for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] {
            html += "<li class=\"wd\" aria-hidden=\"true\">\(name)</li>"
        }
        html += "\n"
        for _ in 0..<mondayOffset(first.start) { html += "<li aria-hidden=\"true\"></li>" }
        for day in days {
            let (symbol, word) = ReportSymbols.day(day.state)
            let title = "\(day.date): \(word)" + counts(day)
            html += "<li class=\"day day-\(day.state.rawValue)\" title=\"\(HTMLText.escape(title))\">"
                + "<span class=\"n\">\(dayOfMonth(day.date))</span><span class=\"s\">\(symbol)</span>"
                + "<span class=\"w\">\(word)</span></li>\n"
        }
        html += "</ol>\n"
        var counted = (pass: 0, fail: 0, error: 0, stale: 0, none: 0)
        for day in days {
            switch day.state {
            case .pass: counted.pass += 1
            case .fail: counted.fail += 1
            case .error: counted.error += 1
            case .stale: counted.stale += 1
            case .noRun: counted.none += 1
            }
        }
        html += "<p class=\"note\">\(days.count) days: \(counted.pass) pass, \(counted.fail) fail, \(counted.error) error, "
            + "\(counted.stale) stale, \(counted.none) without a run.</p>\n"
        if runsOmitted > 0, let oldest = oldestShown {
            html += "<p class=\"note warn\">\(runsOmitted) older runs of the window are not in this report (a report holds at most "
                + "\(ReportBounds.runsPerDestination) runs per destination): days before \(HTMLText.escape(TimeText.timestamp(oldest))) "
                + "show only what remains.</p>\n"
        }
        return html
    }

    static func counts(_ day: ReportDay) -> String {
        let parts = [(day.passed, "passed"), (day.failed, "failed"), (day.errors, "error")].filter { $0.0 > 0 }
        return parts.isEmpty ? "" : " (" + parts.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")"
    }

    /// Days between the Monday of the week and the day starting at `start`, in local time.
    static func mondayOffset(_ start: Double) -> Int {
        let weekday = Calendar(identifier: .gregorian).component(.weekday, from: Date(timeIntervalSince1970: start))
        return (weekday + 5) % 7
    }

    static func dayOfMonth(_ date: String) -> String {
        let last = date.split(separator: "-").last.map(String.init) ?? date
        return last.hasPrefix("0") ? String(last.dropFirst()) : last
    }
}
