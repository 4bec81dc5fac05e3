import Foundation
import Logging
import VerifyProtocol
import VerifyStore

extension Daemon {
    /// Destinations owed a scan: their poll interval has passed, or inotify saw a change in a
    /// folder they own, or they were owed one already; at most `scansAtOnce` scans at once, and
    /// none of a destination whose scan is still running. Costs what it returns (and the
    /// destinations owed), not a walk of every destination.
    func destinationsToScan(at now: Double) -> [DestinationConfiguration] {
        let noted = changes.withLock { changes in
            defer { changes = FolderChanges() }
            return changes
        }
        // A scan under way may have listed its folder before the change: it is owed another
        // (a manifest that lands during the scan of its archive was otherwise seen only at the
        // next poll, and the archive waited for it until then). Nil: inotify lost count.
        if !noted.isEmpty { rescansOwed.formUnion(noted.destinations(owners: folderOwners) ?? Set(trackers.byName.keys)) }
        // A poll that comes while the destination's scan is under way is that scan.
        for name in trackers.takePolls(at: now) where !scansInFlight.contains(name) { rescansOwed.insert(name) }
        var due: [DestinationConfiguration] = []
        // Those without a scan thread now are scanned when one ends (which wakes the loop).
        while scansAwaited < Self.scansAtOnce, let name = rescansOwed.first(where: { !scansInFlight.contains($0) }) {
            rescansOwed.remove(name)
            guard trackers[name] != nil, let destination = configured(name) else { continue }
            scansAwaited += 1
            scansInFlight.insert(name)
            due.append(destination)
        }
        return due
    }

    /// Scans under way at once, at most: 100 destinations scanned at once at start-up (100
    /// threads stat-ing 2,000 files each) held the 2 cores for seconds, and `status` waited
    /// behind their 100 results.
    static let scansAtOnce = 4

    /// Scans one destination off the actor and takes in what it found.
    nonisolated func scan(_ destination: DestinationConfiguration) async {
        let outcome = await ScanRunner.scan(destination) { [self] in
            Task { await self.scanThreadEnded(destination.name) }
        }
        await scanned(destination.name, outcome)
    }

    func scanThreadEnded(_ name: String) {
        scansInFlight.remove(name)
        if rescansOwed.contains(name) { wake.signal() }
    }

    func scanned(_ name: String, _ outcome: ScanOutcome) {
        scansAwaited = max(scansAwaited - 1, 0)
        guard let previous = trackers[name].map(\.scan) else { return }
        takeScan(name, outcome)
        stopRunsOnChangedArchives(name, outcome)
        if case .unavailable(let reason) = outcome, !Self.isUnavailable(previous) {
            logger.error("destination unavailable", metadata: ["destination": "\(name)", "reason": "\(reason)"])
        } else if case .found = outcome, Self.isUnavailable(previous) {
            logger.notice("destination available again", metadata: ["destination": "\(name)"])
        }
        refreshWatches(of: name)
        wake.signal()
    }

    /// Watches each destination's own folder (from the start: a file that lands while the first
    /// scan lists it must still wake a scan) and the folders its last scan visited.
    func refreshWatches() {
        var visited: [String: [String]] = [:]
        for destination in configuration.destinations { visited[destination.name] = [destination.path] }
        for (destination, tracker) in trackers.byName {
            if case .found(_, let found, _) = tracker.scan { visited[destination, default: []] += found }
        }
        folderOwners = FolderChanges.owners(visited)
        watchedFolders = visited.mapValues { Set($0) }
        inotify?.watch(Set(folderOwners.keys))
    }

    /// The same for one destination after its scan: costs its folders, not every destination's
    /// (a host of 100 destinations is scanned 100 times a minute).
    func refreshWatches(of name: String) {
        guard let destination = configured(name) else { return }
        var folders: Set<String> = [destination.path]
        if case .found(_, let found, _) = trackers[name]?.scan { folders.formUnion(found) }
        let old = watchedFolders[name] ?? []
        guard folders != old else { return }
        watchedFolders[name] = folders
        var added: [String] = [], removed: [String] = []
        for folder in old.subtracting(folders) {
            folderOwners[folder]?.remove(name)
            if folderOwners[folder]?.isEmpty ?? true {
                folderOwners[folder] = nil
                removed.append(folder)
            }
        }
        for folder in folders.subtracting(old) where folderOwners[folder, default: []].insert(name).inserted {
            if folderOwners[folder]?.count == 1 { added.append(folder) }
        }
        inotify?.watch(adding: added, removing: removed)
    }

    static func isUnavailable(_ scan: ScanOutcome?) -> Bool {
        if case .unavailable = scan { return true }
        return false
    }

    /// Takes a scan into the destination's tracker and carries out what the tracker decided:
    /// alerts for future-dated files and for failing archives that are gone, history of gone
    /// archives forgotten, the scan limit reported.
    func takeScan(_ name: String, _ outcome: ScanOutcome) {
        // Taken out while it changes: a copy left in the dictionary would make every change copy it.
        guard var tracker = trackers.removeValue(forKey: name) else { return }
        let now = clock()
        let events = tracker.observe(outcome, at: now)
        trackers[name] = tracker
        for (index, file) in events.futureMtimes.enumerated() {
            futureMtimeSeen(name, file, tracker: tracker, at: now, alert: index < Self.futureAlertsPerScan)
        }
        if events.futureMtimes.count > Self.futureAlertsPerScan {
            let more = events.futureMtimes.count - Self.futureAlertsPerScan
            raise(
                .futureMtime, destination: name,
                summary: "\(name): \(more) more archive(s) dated more than future_mtime_tolerance "
                    + "(\(DurationText.words(tracker.settings.futureTolerance))) in the future; each counts as made when verifyd first saw it")
        }
        for gone in events.gone { archiveGone(name, gone, at: now) }
        if case .found(_, _, let notes) = outcome { noteScan(name, notes) }
    }

    /// `future_mtime` alerts raised one by one per scan; the rest are counted in one more.
    static let futureAlertsPerScan = 10

    func futureMtimeSeen(_ name: String, _ file: ArchiveFile, tracker: ArchiveTracker, at now: Double, alert: Bool) {
        guard let record = tracker.futureMtimes[file.path] else { return }
        do {
            try store.recordFutureMtime(destination: name, .init(archive: file.path, mtime: record.mtime, firstSeen: record.firstSeen))
        } catch {
            logger.error("cannot record a future modification time", metadata: ["archive.path": "\(file.path)", "error": "\(error)"])
        }
        guard alert else { return }
        // Shown within sane bounds: an mtime of year 292 billion must not trap the formatting.
        let shown = min(file.mtime, 1e12)
        raise(
            .futureMtime, destination: name, archive: file.path,
            summary: "\(name): \((file.path as NSString).lastPathComponent) is dated \(RFC3339.format(shown)), "
                + "\(DurationText.words(shown - now)) in the future (future_mtime_tolerance "
                + "\(DurationText.words(tracker.settings.futureTolerance))): it counts as made when verifyd first saw it")
    }

    /// An archive no scan finds any more: its coverage is forgotten at once, its runs are kept
    /// for the retention; if its last conclusive run did not pass, `archive_removed` goes out
    /// (its failure ends without a recovery).
    func archiveGone(_ name: String, _ gone: ArchiveTracker.Gone, at now: Double) {
        coverageChanged(name, archive: gone.path)
        do {
            let counts = try store.archiveRemoved(destination: name, archive: gone.path, at: now)
            seekIndexShelf.remove(for: gone.path)
            logger.info("archive gone: its coverage is forgotten", metadata: [
                "destination": "\(name)", "archive.path": "\(gone.path)", "coverage.rows": "\(counts.coverageRows)",
            ])
        } catch {
            logger.error("cannot forget a removed archive", metadata: ["archive.path": "\(gone.path)", "error": "\(error)"])
        }
        guard gone.wasFailing else { return }
        let what = gone.lastVerdict == .error ? "could not be verified" : "failed verification"
        raise(
            .archiveRemoved, destination: name, archive: gone.path,
            summary: "\(name): \((gone.path as NSString).lastPathComponent), which \(what) and never passed since, "
                + "is no longer found (deleted, renamed, replaced by something that is not a file, or no longer matching the patterns)")
    }

    /// Raises `scan_limit` once when scans start stopping at `max_scan_entries` (remembered
    /// across restarts), and logs entries that match the patterns but are not verified.
    func noteScan(_ name: String, _ notes: ScanNotes) {
        let key = name + "#scan"
        let state = notes.limitReached == nil ? "complete" : "limit"
        if knownStates[key] ?? "complete" != state {
            knownStates[key] = state
            try? store.setDestinationState(key, state: state, since: clock())
            if let limit = notes.limitReached {
                raise(
                    .scanLimit, destination: name,
                    summary: "\(name): the scan stopped after max_scan_entries (\(limit)) entries; archives past them are not seen "
                        + "(a folder with too many files, or raise max_scan_entries)")
            } else {
                logger.notice("scans are complete again", metadata: ["destination": "\(name)"])
            }
        }
        let skipped = notes.skipped.map { "\($0.path): \($0.reason.rawValue)" }
        let summary = "\(notes.skippedCount) " + skipped.joined(separator: "; ")
        if scanNotices[name] != summary {
            scanNotices[name] = summary
            if notes.skippedCount > 0 {
                logger.notice("entries matching the archive patterns are not verified", metadata: [
                    "destination": "\(name)", "count": "\(notes.skippedCount)", "entries": "\(skipped.joined(separator: "; "))",
                ])
            }
        }
    }
}
