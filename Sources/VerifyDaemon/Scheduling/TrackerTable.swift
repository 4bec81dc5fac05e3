import VerifyProtocol

/// Every destination's tracker, and what the daemon's loop asks of them all on each turn, kept
/// as the trackers change instead of asked of each one again: which destinations changed since
/// the loop last looked at their state, when each next has an archive due, is owed a poll, or
/// changes state with time alone (`KeyedDeadlines`), and how many destinations are in each state
/// (the `systemctl status` line). Every change of a tracker goes through the subscript, which
/// brings these up to date for that destination alone: a run's start or end costs O(log n) in
/// the number of destinations, not a walk of them all.
struct TrackerTable: Sendable {
    private(set) var byName: [String: ArchiveTracker] = [:]
    /// Destinations whose tracker changed (or went) since the loop last evaluated their state.
    private(set) var changed: Set<String> = []
    /// When each destination next has an archive due (`ArchiveTracker.nextDue`).
    private(set) var due = KeyedDeadlines()
    /// When each destination is owed its next poll (minus infinity: never scanned yet).
    private(set) var polls = KeyedDeadlines()
    /// When each destination's state changes with time alone (`ArchiveTracker.stateChangesAt`).
    private(set) var stateChanges = KeyedDeadlines()
    /// Each destination's state when last evaluated, and how many destinations are in each.
    private(set) var states: [String: DestinationState] = [:]
    private(set) var stateCounts: [DestinationState: Int] = [:]
    /// How many times a destination's state was evaluated (tests count them).
    private(set) var evaluations = 0
    /// Changes of each destination's tracker so far: what was built from a tracker is still
    /// good while its version is the same.
    private(set) var versions: [String: UInt64] = [:]

    init() {}

    subscript(name: String) -> ArchiveTracker? {
        get { byName[name] }
        set {
            byName[name] = newValue
            refresh(name)
        }
        _modify {
            // In place: a copy of a tracker of 100,000 archives per change would cost as much.
            yield &byName[name]
            refresh(name)
        }
    }

    var values: Dictionary<String, ArchiveTracker>.Values { byName.values }
    var count: Int { byName.count }

    @discardableResult
    mutating func removeValue(forKey name: String) -> ArchiveTracker? {
        let tracker = byName.removeValue(forKey: name)
        refresh(name)
        return tracker
    }

    /// Brings what is kept up to date for one destination whose tracker changed (or went).
    private mutating func refresh(_ name: String) {
        changed.insert(name)
        versions[name, default: 0] &+= 1
        guard let tracker = byName[name] else {
            due.set(name, nil)
            polls.set(name, nil)
            return
        }
        due.set(name, tracker.nextDue)
        polls.set(name, tracker.scannedAt.map { $0 + tracker.settings.pollInterval } ?? -.infinity)
    }

    /// The destinations whose state may have changed by `now` (their tracker changed, or time
    /// alone changes it), each once: taken out, to be evaluated and `noteState`d.
    mutating func takeChanged(at now: Double) -> [String] {
        for name in stateChanges.take(atOrBefore: now) { changed.insert(name) }
        defer { changed = [] }
        return Array(changed)
    }

    /// Takes out the destinations owed a poll by `now`; each is owed another once it is scanned.
    mutating func takePolls(at now: Double) -> [String] {
        polls.take(atOrBefore: now)
    }

    /// Takes out the destinations with an archive due by `now`; back once their tracker changes.
    mutating func takeDue(at now: Double) -> [String] {
        due.take(atOrBefore: now)
    }

    /// The state evaluated for a destination (nil: it has no tracker any more), and when time
    /// alone changes it next.
    mutating func noteState(_ name: String, _ state: DestinationState?, changesAt: Double?) {
        evaluations += 1
        if let old = states[name] { stateCounts[old, default: 1] -= 1 }
        states[name] = state
        if let state { stateCounts[state, default: 0] += 1 }
        stateChanges.set(name, changesAt)
    }

    /// The earliest time the loop must look again for the trackers' sake: an archive due, a
    /// poll owed, or a state that changes with time.
    var nextWake: Double? {
        [due.earliest, polls.earliest, stateChanges.earliest].compactMap { $0 }.min()
    }
}
