import VerifyProtocol

/// Archive sizes and entry counts over time: per series, an inline SVG chart (bars for bytes,
/// a line for entries; a shrunk archive's bar marked ▼) and a table of its newest archives.
enum ReportSeriesHTML {
    static let seriesShown = 8
    static let rowsShown = 6
    /// Bars in a chart: the newest archives (all of them are in `--json`).
    static let barsShown = 60

    static func render(_ series: [ArchiveSeries]) -> String {
        var html = "<h3>Archive sizes and entries</h3>\n"
        guard !series.isEmpty else { return html + "<p>No archive was read to its end in the window.</p>\n" }
        for one in series.prefix(seriesShown) {
            let shrinks = one.points.filter { $0.shrank != nil }.count
            html += "<figure>\n<figcaption>\(HTMLText.escape(one.key)): \(one.points.count) archive\(one.points.count == 1 ? "" : "s")"
            html += shrinks > 0 ? " <span class=\"warn\">▼ \(shrinks) shrank</span>" : ""
            html += "</figcaption>\n" + chart(Array(one.points.suffix(barsShown))) + table(one.points) + "</figure>\n"
        }
        if series.count > seriesShown {
            html += "<p class=\"note\">\(series.count - seriesShown) more series are in <code>verifyctl report --json</code>.</p>\n"
        }
        return html
    }

    static func chart(_ points: [ArchivePoint]) -> String {
        let width = 600.0, height = 140.0, top = 24.0, bottom = 22.0
        let maxSize = Double(points.map(\.size).max() ?? 1)
        let maxEntries = Double(points.map(\.entries).max() ?? 1)
        // At least 12 slots: one archive is a bar, not a wall.
        let slot = width / Double(max(points.count, 12))
        var bars = "", line: [String] = []
        for (i, p) in points.enumerated() {
            let x = Double(i) * slot
            let h = maxSize > 0 ? (height - top - bottom) * Double(p.size) / maxSize : 0
            let y = height - bottom - h
            bars += "<rect class=\"\(p.shrank == nil ? "bar" : "shrunk")\" x=\"\(f(x + slot * 0.15))\" y=\"\(f(y))\" "
                + "width=\"\(f(max(slot * 0.7, 1)))\" height=\"\(f(max(h, 1)))\"><title>\(HTMLText.escape(label(p)))</title></rect>"
            if p.shrank != nil { bars += "<text x=\"\(f(x + slot / 2))\" y=\"\(f(max(y - 3, 12)))\" text-anchor=\"middle\">▼</text>" }
            let ey = maxEntries > 0 ? height - bottom - (height - top - bottom) * Double(p.entries) / maxEntries : height - bottom
            line.append("\(f(x + slot / 2)),\(f(ey))")
        }
        let first = points.first.map { ReportPage.day($0.mtime) } ?? ""
        let last = points.last.map { ReportPage.day($0.mtime) } ?? ""
        return """
            <svg class="chart" viewBox="0 0 600 140" role="img" aria-label="sizes (bars) and entries (line) of the \(points.count) newest archives">\
            \(bars)<polyline class="line" points="\(line.joined(separator: " "))"/>\
            <text x="0" y="137">\(first)</text><text x="600" y="137" text-anchor="end">\(last)</text>\
            <text x="0" y="17">bars: bytes (max \(NumberText.bytes(Int64(maxSize)))) · line: entries (max \(Int(maxEntries)))</text></svg>

            """
    }

    static func table(_ points: [ArchivePoint]) -> String {
        var html = "<table><thead><tr><th>Archive</th><th class=\"date\">Date</th><th class=\"num\">Size</th><th class=\"num\">Entries</th>"
            + "<th>Change</th></tr></thead><tbody>\n"
        let shown = points.suffix(rowsShown)
        for (offset, p) in zip(shown.indices, shown) {
            let previous = offset > points.startIndex ? points[offset - 1] : nil
            html += "<tr><td class=\"name\">\(HTMLText.escape(basename(p.archive)))</td><td class=\"date\">\(ReportPage.day(p.mtime))</td>"
                + "<td class=\"num\">\(NumberText.bytes(p.size))</td><td class=\"num\">\(p.entries)</td><td>\(change(p, previous))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        if points.count > rowsShown { html += "<p class=\"note\">The \(rowsShown) newest of \(points.count) archives.</p>\n" }
        return html
    }

    static func change(_ p: ArchivePoint, _ previous: ArchivePoint?) -> String {
        guard let previous else { return "–" }
        if let drop = p.shrank {
            return "<span class=\"warn\">▼ shrank \(percent(drop))% (\(NumberText.bytes(previous.size)), "
                + "\(previous.entries) entries before)</span>"
        }
        let delta = p.size - previous.size
        return delta >= 0 ? "+\(NumberText.bytes(delta))" : "−\(NumberText.bytes(-delta))"
    }

    static func label(_ p: ArchivePoint) -> String {
        "\(ReportPage.day(p.mtime)): \(NumberText.bytes(p.size)), \(p.entries) entries" + (p.shrank.map { ", shrank \(percent($0))%" } ?? "")
    }

    /// A drop in whole percent, rounded down: 99.9% is not "100%", which would say all is gone.
    static func percent(_ drop: Double) -> Int { Int((drop * 100).rounded(.down)) }

    static func basename(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    static func f(_ value: Double) -> String { NumberText.fixed(value, 1) }
}
