import Foundation
import Logging
import VerifyProtocol
import VerifyStore

extension Daemon {
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
