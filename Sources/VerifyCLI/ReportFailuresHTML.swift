import VerifyProtocol

/// The window's failing runs, each with its findings and the command that shows it whole.
enum ReportFailuresHTML {
    static func render(_ failures: [ReportFailure], omitted: Int) -> String {
        let total = failures.count + omitted
        var html = "<h3>Failures in the window (\(total))</h3>\n"
        guard !failures.isEmpty else { return html + "<p>✓ None: no run failed or erred in the window.</p>\n" }
        html += "<ul class=\"failures\">\n"
        for failure in failures {
            let run = failure.run
            let (symbol, word) = ReportSymbols.verdict(run.verdict)
            html += "<li><strong>\(symbol) \(word)</strong> · run \(run.id) · \(HTMLText.escape(TimeText.timestamp(run.finished))) · "
                + "<span class=\"archive\">\(HTMLText.escape(run.archive))</span>"
            if run.verdict == .fail { html += " · \(run.failureCount) failure\(run.failureCount == 1 ? "" : "s")" }
            html += "\n"
            if let error = failure.error { html += "<div>\(HTMLText.escape(error))</div>\n" }
            if !failure.findings.isEmpty {
                html += "<ul>\n"
                for finding in failure.findings { html += "<li>\(line(finding))</li>\n" }
                if run.failureCount > failure.findings.count {
                    html += "<li>… and \(run.failureCount - failure.findings.count) more</li>\n"
                }
                html += "</ul>\n"
            }
            html += "<div>Details: <code>verifyctl show \(run.id)</code></div></li>\n"
        }
        html += "</ul>\n"
        if omitted > 0 { html += "<p class=\"note\">\(omitted) older failing runs are not listed: see <code>verifyctl history</code>.</p>\n" }
        return html
    }

    static func line(_ f: FailureSummary) -> String {
        var text = "<code>\(HTMLText.escape(f.kind))</code>"
        if let path = f.path { text += " \(HTMLText.escape(path))" }
        if let expected = f.expected { text += ": expected \(HTMLText.escape(expected))" }
        if let actual = f.actual { text += (f.expected == nil ? ": " : ", ") + "actual \(HTMLText.escape(actual))" }
        return text
    }
}
