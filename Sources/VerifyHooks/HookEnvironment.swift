import Foundation
import VerifyProtocol

/// The whole environment of a hook: a fixed PATH and the alert's fields as `VERIFYD_*`
/// variables. Nothing is inherited from the runner (no NOTIFY_SOCKET, no credentials).
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
            "VERIFYD_SUMMARY": alert.summary,
            "VERIFYD_DESCRIPTION": alert.annotations["description"] ?? alert.summary,
            "VERIFYD_FAILURE_COUNT": String(alert.failureCount),
            "VERIFYD_TIME": alert.startsAt,
            "VERIFYD_FINGERPRINT": alert.fingerprint,
            "VERIFYD_REPEAT": String(count),
            "VERIFYD_HOOKS_DIR": hooksDirectory,
            "VERIFYD_HOST": ProcessInfo.processInfo.hostName,
        ]
        if let archive = alert.archive { variables["VERIFYD_ARCHIVE"] = archive }
        if let run = alert.runId { variables["VERIFYD_RUN_ID"] = String(run) }
        return variables
    }
}
