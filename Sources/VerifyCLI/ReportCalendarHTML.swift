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
        let count = { (state: DayState) in days.filter { $0.state == state }.count }
        html += "<p class=\"note\">\(days.count) days: \(count(.pass)) pass, \(count(.fail)) fail, \(count(.error)) error, "
            + "\(count(.stale)) stale, \(count(.noRun)) without a run"
            + (count(.notInReport) > 0 ? ", \(count(.notInReport)) not in this report" : "") + ".</p>\n"
        if runsOmitted > 0, let oldest = oldestShown {
            html += "<p class=\"note warn\">\(runsOmitted) older runs of the window are not in this report (a report holds at most "
                + "\(ReportBounds.runsPerDestination) runs per destination): days before \(HTMLText.escape(TimeText.timestamp(oldest))) "
                + "are marked \"not in report\" unless a run of theirs is here.</p>\n"
        } else if runsOmitted > 0 {
            html += "<p class=\"note warn\">None of the window's \(runsOmitted) runs is in this report: the reply's bound "
                + "(\(ReportBounds.runsPerReply) runs) went to the destinations above. Ask for this one alone.</p>\n"
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
