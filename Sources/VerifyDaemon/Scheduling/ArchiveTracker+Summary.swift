import VerifyProtocol

/// The orderings and counts each question needs, kept up to date as archives and runs change:
/// when each archive is next due (a heap), how many tracked archives are unverified, how many
/// verified ones are queued or running. A scan that changed the destination rebuilds them once
/// (O(n log n) for its n archives); a run, a loop or a `status` reads them in O(log n) or less.
extension ArchiveTracker {
    /// Rebuilds every summary from the observations (after a scan that changed something, a
    /// setting, or history read at start-up).
    mutating func rebuild() {
        rebuilds += 1
        ordered = observations.values.map(\.file).sorted(by: isNewer)
        dueAt = [:]
        for file in verifying {
            if let at = readyAt(file.path) { dueAt[file.path] = at }
        }
        dueHeap = DueHeap(dueAt.map { DueHeap.Entry(time: $0.value, path: $0.key) })
        unverifiedTracked = 0
        for file in tracked where isUnverified(file.path) { unverifiedTracked += 1 }
        activeVerifying = 0
        for path in active where isVerifying(path) { activeVerifying += 1 }
    }

    /// Changes what is known of one archive and brings the summaries up to date for it alone.
    mutating func update(_ path: String, _ change: (inout ArchiveTracker) -> Void) {
        let before = (unverified: isTracked(path) && isUnverified(path), active: active.contains(path) && isVerifying(path))
        change(&self)
        let after = (unverified: isTracked(path) && isUnverified(path), active: active.contains(path) && isVerifying(path))
        unverifiedTracked += (after.unverified ? 1 : 0) - (before.unverified ? 1 : 0)
        activeVerifying += (after.active ? 1 : 0) - (before.active ? 1 : 0)
        refreshDue(path)
    }

    /// A scan found the archive's manifest (or digest) appear or go, nothing else changed.
    mutating func companionsChanged(_ path: String) {
        guard let file = observations[path]?.file, let index = position(of: file) else { return }
        ordered[index] = file
        refreshDue(path)
    }

    /// Where `file` (or a file of the same order time and path) stands in `ordered`.
    func position(of file: ArchiveFile) -> Int? {
        var low = 0, high = ordered.count
        while low < high {
            let middle = (low + high) / 2
            if isNewer(ordered[middle], file) { low = middle + 1 } else { high = middle }
        }
        return low < ordered.count && ordered[low].path == file.path ? low : nil
    }

    /// One of the newest `keepVerifying` archives found.
    func isTracked(_ path: String) -> Bool {
        guard let file = observations[path]?.file, settings.keepVerifying > 0 else { return false }
        guard ordered.count > settings.keepVerifying else { return true }
        return !isNewer(ordered[settings.keepVerifying - 1], file)
    }

    /// Found, and tracked or failing: verified and re-verified.
    func isVerifying(_ path: String) -> Bool {
        observations[path] != nil && (failing.contains(path) || isTracked(path))
    }

    /// No conclusive run of the archive's current copy (never run, replaced, or interrupted).
    func isUnverified(_ path: String) -> Bool {
        guard let file = observations[path]?.file else { return false }
        guard let mark = lastRuns[path] else { return true }
        return mark.size != file.size || mark.mtime != file.mtime || mark.verdict == .interrupted
    }

    /// When a verified, idle archive becomes due: settled (and its companions there, or their
    /// grace over), and its interval come round if its current copy has a conclusive run.
    func readyAt(_ path: String) -> Double? {
        guard !active.contains(path), let observation = observations[path], isVerifying(path) else { return nil }
        var at = observation.since + settings.settle
        if !observation.file.companionsReady { at += settings.companionGrace }
        if !isUnverified(path), let mark = lastRuns[path] { at = max(at, mark.finished + settings.interval) }
        return at
    }

    /// Puts the archive's due time in the heap again if it changed; the old entry goes stale.
    mutating func refreshDue(_ path: String) {
        let at = readyAt(path)
        guard dueAt[path] != at else { return }
        dueAt[path] = at
        if let at { dueHeap.push(.init(time: at, path: path)) }
        while let top = dueHeap.first, dueAt[top.path] != top.time { dueHeap.popFirst() }
        if dueHeap.count > 2 * dueAt.count + 64 {
            dueHeap = DueHeap(dueAt.map { DueHeap.Entry(time: $0.value, path: $0.key) })
        }
    }

    /// When the next archive becomes due, if any is waiting (the loop skips the destination
    /// until then).
    public var nextDue: Double? { dueHeap.first?.time }

    /// Archives to verify now, and why, newest first. Costs what it returns.
    public func due(at now: Double) -> [(file: ArchiveFile, trigger: RunTrigger)] {
        guard let first = dueHeap.first, first.time <= now else { return [] }
        var seen = Set<String>()
        var due: [(file: ArchiveFile, trigger: RunTrigger)] = []
        for entry in dueHeap.entries(atOrBefore: now) where dueAt[entry.path] == entry.time && seen.insert(entry.path).inserted {
            guard let file = observations[entry.path]?.file else { continue }
            if let mark = lastRuns[entry.path], mark.size == file.size, mark.mtime == file.mtime {
                due.append((file, mark.verdict == .interrupted ? .retry : .schedule))
            } else {
                due.append((file, .arrival))
            }
        }
        return due.sorted { isNewer($0.file, $1.file) }
    }

    /// When something may next become due (or a scan is owed).
    public func nextWake(after now: Double) -> Double {
        let poll = (scannedAt ?? now) + settings.pollInterval
        return min(poll, nextDue ?? poll)
    }

    /// When the destination's state next changes with time alone, if nothing else happens: the
    /// first instant its newest archive is older than `max_age`. Nil when only a scan or a run can
    /// change it (no `max_age`, no archive, failing, unavailable, or stale already).
    public func stateChangesAt(after now: Double) -> Double? {
        guard case .found = scan, failing.isEmpty, let newest, let maxAge = settings.maxAge else { return nil }
        let staleAt = orderTime(newest) + maxAge
        return now > staleAt ? nil : staleAt.nextUp
    }

    /// The next verification of a verified archive: now while one is queued or running.
    public func nextRun(after now: Double) -> Double? {
        if activeVerifying > 0 { return now }
        return nextDue.map { max($0, now) }
    }

    /// The destination's state and why, worst first: unavailable, failing, stale, pending, ok.
    public func state(at now: Double) -> (DestinationState, String) {
        guard let scan else { return (.pending, "not scanned yet") }
        if case .unavailable(let reason) = scan { return (.unavailable, reason) }
        if !failing.isEmpty {
            return (.failing, "\(failing.count) archive(s) failed verification and have not passed since")
        }
        guard let newest else {
            return settings.maxAge == nil ? (.pending, "no archive yet") : (.stale, "no archive matches the patterns")
        }
        let age = now - orderTime(newest)
        // `now > made + maxAge`, not `age > maxAge`: the same sum as `stateChangesAt(after:)`.
        if let maxAge = settings.maxAge, now > orderTime(newest) + maxAge {
            return (.stale, "the newest archive is \(DurationText.words(age)) old (max_age \(DurationText.words(maxAge)))")
        }
        let waitingTracked = waiting.compactMap { path, reason in observations[path].flatMap { isTracked(path) ? ($0.file, reason) : nil } }
        if let newestWaiting = waitingTracked.min(by: { isNewer($0.0, $1.0) }) { return (.pending, newestWaiting.1) }
        if unverifiedTracked > 0 { return (.pending, "\(unverifiedTracked) archive(s) not verified yet") }
        return (.ok, "the newest \(min(settings.keepVerifying, ordered.count)) archive(s) passed")
    }

    /// Archives whose latest conclusive run failed or errored, newest first (then those no scan
    /// found lately, by path): whether they are tracked or not, replaced since or not, until a
    /// run passes or they are gone. Costs what it returns.
    public var failingArchives: [String] {
        guard !failing.isEmpty else { return [] }
        let found = failing.compactMap { observations[$0]?.file }.sorted(by: isNewer).map(\.path)
        return found + failing.filter { observations[$0] == nil }.sorted()
    }
}
