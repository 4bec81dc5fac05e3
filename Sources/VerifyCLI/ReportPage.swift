import Foundation
import VerifyProtocol

/// `verifyctl report --html`: one self-contained page (inline CSS and SVG; no script, no font,
/// no link that leaves the file), so that it opens from a mail attachment or a file share.
/// Every state carries a symbol and a word, never colour alone. Pure: the document in, the page out.
enum ReportPage {
    static func render(_ report: ReportResult) -> String {
        let window = "\(day(report.since)) → \(day(report.generated)) (\(DurationText.words(report.generated - report.since)))"
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>verifyd report \(HTMLText.escape(day(report.generated)))</title>
            <style>\(ReportStyle.css)</style></head><body>
            <header><h1>Backup verification report</h1>
            <p class="meta">Generated \(HTMLText.escape(TimeText.timestamp(report.generated))) \
            (\(HTMLText.escape(report.timeZone ?? "local time"))) by verifyd \(HTMLText.escape(report.version)). \
            Window: \(HTMLText.escape(window)).</p>

            """
        html += summary(report.destinations)
        html += "</header>\n<main>\n"
        if report.destinations.isEmpty { html += "<p>No destination is configured.</p>\n" }
        for (index, destination) in report.destinations.enumerated() {
            html += section(destination, anchor: "d\(index)")
        }
        html += "</main>\n<footer><p>Made by <code>verifyctl report</code> from verifyd's history. "
            + "Legend: \(ReportSymbols.legend)</p></footer>\n</body></html>\n"
        return html
    }

    static func summary(_ destinations: [DestinationReport]) -> String {
        guard !destinations.isEmpty else { return "" }
        var html = "<ul class=\"summary\">\n"
        for (index, d) in destinations.enumerated() {
            let (symbol, word) = ReportSymbols.state(d.state)
            html += "<li><a href=\"#d\(index)\"><span class=\"badge st-\(d.state.rawValue)\">\(symbol) \(word)</span> "
                + "\(HTMLText.escape(d.name))</a></li>\n"
        }
        return html + "</ul>\n"
    }

    static func section(_ d: DestinationReport, anchor: String) -> String {
        let (symbol, word) = ReportSymbols.state(d.state)
        var html = """
            <section class="destination" id="\(anchor)">
            <h2><span class="badge st-\(d.state.rawValue)">\(symbol) \(word)</span> \(HTMLText.escape(d.name))</h2>
            <p class="path">\(HTMLText.escape(d.path)) · \(d.archives) archive\(d.archives == 1 ? "" : "s") now</p>
            <p class="reason"><strong>Now:</strong> \(HTMLText.escape(d.reason))</p>

            """
        html += ReportCalendarHTML.render(d.days ?? [], runsOmitted: d.runsOmitted, oldestShown: d.runs.first?.finished)
        html += ReportSeriesHTML.render(d.series ?? [])
        html += coverage(d.coverage)
        html += ReportFailuresHTML.render(d.failures, omitted: d.failuresOmitted)
        return html + "</section>\n"
    }

    static func coverage(_ coverage: CoverageSummary?) -> String {
        var html = "<h3>Coverage</h3>\n"
        guard let c = coverage else {
            return html + "<p>Every run reads every entry (sample = all): each passed run covers its whole archive.</p>\n"
        }
        let share = c.entries > 0 ? Double(c.verified) / Double(c.entries) : 0
        let percent = Int((share * 100).rounded(.down))
        html += "<div class=\"meter\" role=\"img\" aria-label=\"\(percent)% verified\"><span style=\"width:\(percent)%\"></span></div>\n"
        var items = ["<li><strong>\(percent)%</strong> of \(c.entries) entries verified"
            + (c.window.map { " within \(DurationText.words($0))" } ?? "") + "</li>"]
        items.append("<li><strong>\(c.neverVerified)</strong> never verified</li>")
        if c.failed > 0 { items.append("<li>✗ <strong>\(c.failed)</strong> failed at their last read</li>") }
        if c.verified >= c.entries, c.entries > 0 {
            items.append("<li>✓ Full coverage reached" + (c.oldestVerifiedAt.map { ": oldest read \(HTMLText.escape(TimeText.timestamp($0)))" } ?? "") + "</li>")
        } else if let complete = c.completeBy {
            items.append("<li>Full coverage expected by \(HTMLText.escape(TimeText.timestamp(complete)))</li>")
        } else {
            items.append("<li>Full coverage: not foreseen at the current sample</li>")
        }
        return html + "<ul class=\"facts\">\n" + items.joined(separator: "\n") + "\n</ul>\n"
    }

    /// `2026-12-07` in local time.
    static func day(_ time: Double) -> String { String(TimeText.timestamp(time).prefix(10)) }
}
