import VerifyProtocol

/// One alert in the shape of Alertmanager's v2 API (`POST /api/v2/alerts` takes an array of
/// them). Alertmanager tells alerts apart by their labels: the same labels posted again refresh
/// an alert, and an `endsAt` in the past resolves it.
public struct PostableAlert: Codable, Sendable, Equatable {
    public var labels: [String: String]
    public var annotations: [String: String]
    /// RFC 3339.
    public var startsAt: String
    public var endsAt: String?

    /// The alert's identity: its labels, sorted.
    var identity: String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1F}")
    }

    /// A verifyd alert as Alertmanager sees it: labels `alertname`, `host`, `destination`, `kind`,
    /// `severity` (and `archive` for a run's alert, so that each failing archive is one alert);
    /// annotations `summary`, `description`, `archive` and the `verifyctl show` command.
    init(_ alert: Alert, host: String) {
        var labels = [
            "alertname": "verifyd_" + alert.kind.rawValue, "host": host, "destination": alert.destination,
            "kind": alert.kind.rawValue, "severity": alert.severity.rawValue,
        ]
        var annotations = alert.annotations
        if let archive = alert.archive {
            annotations["archive"] = archive
            if AlertmanagerBook.runKinds.contains(alert.kind) { labels["archive"] = archive }
        }
        if let run = alert.runId { annotations["show"] = "verifyctl show \(run)" }
        self.labels = labels
        self.annotations = annotations
        startsAt = alert.startsAt
        endsAt = nil
    }
}
