import Foundation
import Logging
import Synchronization
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Logs one line per message to stderr. Under systemd (`$JOURNAL_STREAM` set) each line starts
/// with a `<N>` syslog priority that journald turns into the entry's priority; otherwise lines
/// carry a timestamp and the level. Metadata follows the message as `key=value`. Control
/// characters in the message and the values are escaped (`PrintableText`).
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let label: String
    let journald: Bool

    private static let lock = Mutex<Void>(())

    public init(label: String, level: Logger.Level = .info, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        logLevel = level
        journald = environment["JOURNAL_STREAM"].map { !$0.isEmpty } ?? false
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let rendered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }.joined(separator: " ")
        // Names from a destination may hold control characters: a line feed would forge a
        // log line, an ESC sequence would reach whoever reads the log on a terminal.
        let text = PrintableText.escaped("\(event.message)") + (rendered.isEmpty ? "" : " " + rendered)
        let line: String
        if journald {
            line = "<\(Self.priority(event.level))>\(text.replacingOccurrences(of: "\n", with: " "))\n"
        } else {
            line = "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(label): \(text)\n"
        }
        Self.lock.withLock { _ in
            let bytes = Array(line.utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }

    /// syslog priorities: 2 critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func quote(_ raw: String) -> String {
        let value = PrintableText.escaped(raw)
        return value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var time = now.tv_sec
        var parts = tm()
        localtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
            parts.tm_min, parts.tm_sec)
    }
}
