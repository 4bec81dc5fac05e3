/// One alert: a change of a destination's state, or a failed run. Shaped after Alertmanager's
/// webhook payload (status, labels, annotations, startsAt/endsAt, fingerprint) so it maps onto
/// existing tooling, with verifyd's own fields beside it.
public struct Alert: Codable, Sendable, Equatable {
    /// Position in the durable alert log: increases by one per alert, never reused.
    public var seq: Int64
    public var kind: AlertKind
    /// Unix seconds.
    public var time: Double
    public var severity: AlertSeverity
    public var destination: String
    public var archive: String?
    public var runId: Int64?
    /// One line for people.
    public var summary: String
    /// The run's failures (at most `detailLimit`), for failed runs.
    public var details: [FailureSummary]
    /// How many failures the run had in all.
    public var failureCount: Int

    // Alertmanager's fields.
    /// `firing`, or `resolved` for `recovered`.
    public var status: String
    public var labels: [String: String]
    public var annotations: [String: String]
    /// RFC 3339.
    public var startsAt: String
    public var endsAt: String?
    /// Stable for one destination and kind: the same problem has the same fingerprint.
    public var fingerprint: String

    public static let detailLimit = 20

    /// The same alert made again through `init`, so with every field bounded: alerts written
    /// to the log before the bounds existed are delivered bounded.
    public func bounded() -> Alert {
        Alert(
            seq: seq, kind: kind, time: time, destination: destination, archive: archive, runId: runId, summary: summary,
            details: details, failureCount: failureCount)
    }

    public init(
        seq: Int64, kind: AlertKind, time: Double, destination: String, archive: String?, runId: Int64?, summary: String,
        details: [FailureSummary], failureCount: Int
    ) {
        // Every field is bounded here, when the alert is raised (AlertBounds).
        let destination = AlertBounds.cut(destination, to: AlertBounds.nameBytes)
        let archive = AlertBounds.cut(archive, to: AlertBounds.nameBytes)
        let summary = AlertBounds.cut(summary, to: AlertBounds.summaryBytes)
        self.seq = seq
        self.kind = kind
        self.time = time
        self.severity = kind.severity
        self.destination = destination
        self.archive = archive
        self.runId = runId
        self.summary = summary
        self.details = details.prefix(Self.detailLimit).map(AlertBounds.bounded)
        self.failureCount = max(failureCount, self.details.count)
        status = kind == .recovered ? "resolved" : "firing"
        var labels = ["alertname": kind.rawValue, "destination": destination, "severity": severity.rawValue]
        if let archive { labels["archive"] = archive }
        self.labels = labels
        var description = summary
        if failureCount > 0 {
            description += "\n" + self.details.map { "\($0.kind): \($0.path ?? "(archive)")" }.joined(separator: "\n")
            if failureCount > self.details.count { description += "\n... and \(failureCount - self.details.count) more" }
        }
        annotations = ["summary": summary, "description": description]
        startsAt = RFC3339.format(time)
        endsAt = kind == .recovered ? RFC3339.format(time) : nil
        fingerprint = Self.fingerprint(destination: destination, kind: kind == .recovered ? "recovered" : kind.rawValue)
    }

    /// FNV-1a of `destination/kind`, 16 hex digits.
    static func fingerprint(destination: String, kind: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (destination + "/" + kind).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

public enum AlertKind: String, Codable, Sendable, CaseIterable {
    /// A run found the backup bad.
    case verificationFailed = "verification_failed"
    /// A run could not verify the archive (missing manifest, unreadable file, crashed parser).
    case verificationError = "verification_error"
    /// The newest archive is older than max_age, or there is none.
    case stale
    /// The destination is missing or unreadable.
    case unavailable
    /// The destination is ok again.
    case recovered
    /// A new archive passed but is much smaller than the last one that passed (`shrink_alert`).
    case archiveShrank = "archive_shrank"
    /// The sample per run cannot read every entry within `coverage_window`.
    case coverageAtRisk = "coverage_at_risk"
    /// An archive whose latest run failed is no longer found by scans (deleted, renamed, replaced
    /// by something that is not a regular file, or no longer matching the patterns).
    case archiveRemoved = "archive_removed"
    /// An archive's modification time lies more than `future_mtime_tolerance` in the future.
    case futureMtime = "future_mtime"
    /// A scan stopped at `max_scan_entries`: archives past it are not seen.
    case scanLimit = "scan_limit"
    /// A manifest's detached signature is missing where required, or does not verify with a
    /// trusted key: whoever wrote the manifest may have rewritten the backup too.
    case signatureInvalid = "signature_invalid"
    /// Asked for with `verifyctl alerts test`.
    case test

    public var severity: AlertSeverity {
        switch self {
        case .verificationFailed, .unavailable, .signatureInvalid: .critical
        case .verificationError, .stale, .coverageAtRisk, .archiveShrank, .archiveRemoved, .futureMtime, .scanLimit: .warning
        case .recovered, .test: .info
        }
    }
}

public enum AlertSeverity: String, Codable, Sendable {
    case critical, warning, info
}

/// RFC 3339 times in UTC: `2026-11-27T14:03:12Z`.
public enum RFC3339 {
    public static func format(_ time: Double) -> String {
        let seconds = Int64(time.rounded(.down))
        var days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))Z"
    }
}

/// Arguments of `alerts` (the log) and `subscribe` (the log, then live).
public struct AlertsArguments: Codable, Sendable, Equatable {
    /// Alerts with a sequence number greater than this (0: from the start).
    public var since: Int64?
    /// `alerts` only: at most this many (default 100, at most 10000).
    public var limit: Int?
    public init(since: Int64? = nil, limit: Int? = nil) {
        self.since = since
        self.limit = limit
    }
}

public struct AlertsResult: Codable, Sendable, Equatable {
    public var alerts: [Alert]
    /// The newest sequence number in the log.
    public var last: Int64
    public init(alerts: [Alert], last: Int64) {
        self.alerts = alerts
        self.last = last
    }
}

/// The reply to `subscribe`; alert lines `{"v":1,"alert":{...}}` follow on the connection.
public struct SubscribeResult: Codable, Sendable, Equatable {
    public var since: Int64
    public var last: Int64
    public init(since: Int64, last: Int64) {
        self.since = since
        self.last = last
    }
}

/// A streamed alert line.
public struct AlertLine: Codable, Sendable, Equatable {
    public var v: Int
    public var alert: Alert
    public init(alert: Alert) {
        v = WireProtocol.version
        self.alert = alert
    }
}

public struct TestAlertResult: Codable, Sendable, Equatable {
    public var seq: Int64
    public init(seq: Int64) { self.seq = seq }
}
