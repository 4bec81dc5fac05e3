import VerifyProtocol

/// What an Alertmanager must be told, alert after alert of verifyd's log: which alerts fire now
/// (posted again every `repost_interval` while they last) and which end. Pure: the forwarder
/// replays the whole log through it at start, so a restart forgets nothing that still fires.
///
/// - A failed or unverifiable run (`verification_failed`, `verification_error`) fires for its
///   archive until the destination recovers or that archive is removed.
/// - `stale` and `unavailable` fire until the destination recovers.
/// - Every other kind is an event: posted once, ending `eventDuration` after it was raised.
public struct AlertmanagerBook: Sendable {
    static let runKinds: Set<AlertKind> = [.verificationFailed, .verificationError]
    static let stateKinds: Set<AlertKind> = [.stale, .unavailable]
    /// How long an event shows in Alertmanager.
    public static let eventDuration: Double = 3600

    let host: String
    /// Alerts firing now, by identity.
    public private(set) var firing: [String: PostableAlert] = [:]

    public init(host: String) { self.host = host }

    /// Takes the next alert of the log; returns what to post for it.
    public mutating func take(_ alert: Alert) -> [PostableAlert] {
        let posted = PostableAlert(alert, host: host)
        if Self.runKinds.contains(alert.kind) || Self.stateKinds.contains(alert.kind) {
            // A repeat keeps the first start: the problem has lasted since then.
            if let known = firing[posted.identity] { return [known] }
            firing[posted.identity] = posted
            return [posted]
        }
        switch alert.kind {
        case .recovered:
            return resolve(at: alert.time) { $0.labels["destination"] == alert.destination }
        case .archiveRemoved:
            let ended = resolve(at: alert.time) {
                $0.labels["destination"] == alert.destination && $0.labels["archive"] == alert.archive
            }
            return ended + [event(posted, at: alert.time)]
        default:
            return [event(posted, at: alert.time)]
        }
    }

    /// The firing alerts, to post again.
    public var reposts: [PostableAlert] { firing.values.sorted { $0.identity < $1.identity } }

    private func event(_ alert: PostableAlert, at time: Double) -> PostableAlert {
        var event = alert
        event.endsAt = RFC3339.format(time + Self.eventDuration)
        return event
    }

    private mutating func resolve(at time: Double, _ matches: (PostableAlert) -> Bool) -> [PostableAlert] {
        let ended = firing.filter { matches($0.value) }
        for key in ended.keys { firing[key] = nil }
        return ended.values.sorted { $0.identity < $1.identity }.map { alert in
            var resolved = alert
            resolved.endsAt = RFC3339.format(time)
            return resolved
        }
    }
}
