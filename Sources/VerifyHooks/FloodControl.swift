import VerifyProtocol

/// Which alerts go to the hooks: the first of a kind for a destination at once, repeats only
/// after `interval`, then twice as long, and so on up to `maxInterval`, while the problem lasts.
/// `recovered` and `test` always go out; `recovered` ends the destination's problems. Pure;
/// the runner stores it as JSON so it survives restarts.
public struct FloodControl: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var lastSent: Double
        public var sent: Int
        public var suppressed: Int
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Whether to run the hooks for this alert now, and which sending of its problem this is
    /// (1 for the first, 2 for the first reminder...). Records the decision.
    public mutating func decide(_ alert: Alert, now: Double, interval: Double, maxInterval: Double) -> (send: Bool, repeat: Int) {
        switch alert.kind {
        case .test:
            return (true, 1)
        case .recovered:
            for key in entries.keys where key.hasPrefix(alert.destination + "/") { entries[key] = nil }
            return (true, 1)
        default:
            let key = alert.destination + "/" + alert.kind.rawValue
            guard var entry = entries[key] else {
                entries[key] = Entry(lastSent: now, sent: 1, suppressed: 0)
                return (true, 1)
            }
            var wait = interval
            for _ in 1..<max(entry.sent, 1) { wait = min(wait * 2, maxInterval) }
            if now - entry.lastSent >= min(wait, maxInterval) {
                entry.lastSent = now
                entry.sent += 1
                entry.suppressed = 0
                entries[key] = entry
                return (true, entry.sent)
            }
            entry.suppressed += 1
            entries[key] = entry
            return (false, entry.sent)
        }
    }
}
