import VerifyProtocol

/// Times and ages for people: `3h 2m`, `2m ago`, `in 6d 23h`.
enum TimeText {
    static func span(_ seconds: Double) -> String { DurationText.words(seconds) }

    static func ago(_ time: Double, now: Double) -> String {
        now - time < 1 ? "just now" : "\(span(now - time)) ago"
    }

    static func until(_ time: Double, now: Double) -> String {
        time - now < 1 ? "now" : "in \(span(time - now))"
    }

    /// `2026-11-27 14:03:12` in local time.
    static func timestamp(_ time: Double) -> String {
        // Bounded: mtimes come from files anyone may date (tmpfs keeps any 64-bit second).
        var seconds = Int(min(max(time, -1e15), 1e15))
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(\.printable) }
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

#if canImport(Glibc)
import Glibc
#endif
