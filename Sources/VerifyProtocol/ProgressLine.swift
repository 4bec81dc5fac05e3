/// One line of a run's progress for a terminal: bytes read of the archive's size with the
/// percentage, entries checked, throughput and time left.
///
/// `12.4 MiB of 96.0 MiB (12%)  1,024 entries  48.1 MiB/s  2s left`
///
/// Pure: the caller measures, this only words it. Nothing here is printed when the size is
/// unknown or the rate cannot be told yet; those parts are left out, never guessed.
public struct ProgressLine: Sendable, Equatable {
    /// Bytes of the archive file read so far.
    public var bytesRead: Int64
    /// The archive file's size; 0 or less when unknown.
    public var totalBytes: Int64
    /// Entries read so far.
    public var entries: Int
    /// Seconds since the run started.
    public var elapsedSeconds: Double

    public init(bytesRead: Int64, totalBytes: Int64, entries: Int, elapsedSeconds: Double) {
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.entries = entries
        self.elapsedSeconds = elapsedSeconds
    }

    /// The percentage read, 0 to 100, or nil when the size is unknown.
    public var percent: Int? {
        guard totalBytes > 0 else { return nil }
        let read = min(max(bytesRead, 0), totalBytes)
        return Int(Double(read) * 100 / Double(totalBytes))
    }

    /// Bytes per second, or nil before there is anything to divide.
    public var bytesPerSecond: Double? {
        guard elapsedSeconds > 0, bytesRead > 0, elapsedSeconds.isFinite else { return nil }
        return Double(bytesRead) / elapsedSeconds
    }

    /// Seconds left at the rate so far, or nil when the size or the rate is unknown.
    public var secondsLeft: Double? {
        guard totalBytes > 0, let rate = bytesPerSecond else { return nil }
        return Double(max(totalBytes - bytesRead, 0)) / rate
    }

    /// The line, cut to `width` characters (a terminal's columns) so that it never wraps; a
    /// wrapped line could not be replaced in place.
    public func text(width: Int = 80) -> String {
        var parts: [String] = []
        if totalBytes > 0, let percent {
            parts.append("\(Self.bytes(bytesRead)) of \(Self.bytes(totalBytes)) (\(percent)%)")
        } else {
            parts.append(Self.bytes(bytesRead))
        }
        parts.append("\(Self.grouped(entries)) \(entries == 1 ? "entry" : "entries")")
        if let rate = bytesPerSecond { parts.append("\(Self.bytes(Int64(min(rate, 9e18))))/s") }
        if let left = secondsLeft { parts.append("\(DurationText.words(left)) left") }
        let line = parts.joined(separator: "  ")
        let limit = max(width - 1, 0)
        return line.count > limit ? String(line.prefix(limit)) : line
    }

    /// `512 B`, `12.4 KiB`, `3.0 GiB`: one decimal past bytes.
    public static func bytes(_ count: Int64) -> String {
        let count = max(count, 0)
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        if tenths >= 10240, unit < units.count - 1 { return "1.0 \(units[unit + 1])" }
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    /// `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}
