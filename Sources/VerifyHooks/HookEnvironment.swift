import Foundation
import VerifyProtocol

/// The whole environment of a hook: a fixed PATH and the alert's fields as `VERIFYD_*`
/// variables. Nothing is inherited from the runner (no NOTIFY_SOCKET, no credentials).
/// The text meant for people (`VERIFYD_SUMMARY`, `VERIFYD_DESCRIPTION`,
/// `VERIFYD_ARCHIVE_PRINTABLE`) has its control characters escaped (`PrintableText`), so that
/// a name with a line feed or an ESC sequence cannot forge a mail header or drive a terminal;
/// `VERIFYD_ARCHIVE` and the JSON on stdin keep the exact name.
public enum HookEnvironment {
    public static func variables(for alert: Alert, repeat count: Int, hooksDirectory: String) -> [String: String] {
        var variables = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "VERIFYD_SEQ": String(alert.seq),
            "VERIFYD_KIND": alert.kind.rawValue,
            "VERIFYD_SEVERITY": alert.severity.rawValue,
            "VERIFYD_STATUS": alert.status,
            "VERIFYD_DESTINATION": alert.destination,
            "VERIFYD_SUMMARY": PrintableText.escaped(alert.summary),
            "VERIFYD_DESCRIPTION": description(alert),
            "VERIFYD_FAILURE_COUNT": String(alert.failureCount),
            "VERIFYD_TIME": alert.startsAt,
            "VERIFYD_FINGERPRINT": alert.fingerprint,
            "VERIFYD_REPEAT": String(count),
            "VERIFYD_HOOKS_DIR": hooksDirectory,
            "VERIFYD_HOST": ProcessInfo.processInfo.hostName,
        ]
        if let archive = alert.archive {
            variables["VERIFYD_ARCHIVE"] = archive
            variables["VERIFYD_ARCHIVE_PRINTABLE"] = PrintableText.escaped(archive)
        }
        if let run = alert.runId { variables["VERIFYD_RUN_ID"] = String(run) }
        return variables
    }

    /// The summary, then one `kind: path` line per listed failure and the count of the rest,
    /// each escaped for printing.
    static func description(_ alert: Alert) -> String {
        var lines = [PrintableText.escaped(alert.summary)]
        if alert.failureCount > 0 {
            lines += alert.details.map { PrintableText.escaped("\($0.kind): \($0.path ?? "(archive)")") }
            if alert.failureCount > alert.details.count { lines.append("... and \(alert.failureCount - alert.details.count) more") }
        }
        return lines.joined(separator: "\n")
    }
}
