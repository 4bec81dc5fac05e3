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

    /// One decision, kept so that an alert read again (a hook's lane replaying it after a
    /// restart, or catching up from the log) gets the decision it got the first time instead
    /// of being taken for a repeat of itself and held back.
    public struct Decided: Codable, Sendable, Equatable {
        public var seq: Int64
        public var send: Bool
        public var count: Int
    }

    public private(set) var entries: [String: Entry] = [:]
    /// The latest decisions, oldest first (at most `decidedLimit`). Optional: a record written
    /// before it existed has none.
    public private(set) var decided: [Decided]?
    public static let decidedLimit = 1000

    public init() {}

    /// As `decide`, but an alert decided before gets the same answer again.
    public mutating func decideOnce(_ alert: Alert, now: Double, interval: Double, maxInterval: Double) -> (send: Bool, repeat: Int) {
        if let known = decided?.last(where: { $0.seq == alert.seq }) { return (known.send, known.count) }
        let decision = decide(alert, now: now, interval: interval, maxInterval: maxInterval)
        var list = decided ?? []
        list.append(Decided(seq: alert.seq, send: decision.send, count: decision.repeat))
        if list.count > Self.decidedLimit { list.removeFirst(list.count - Self.decidedLimit) }
        decided = list
        return decision
    }

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
