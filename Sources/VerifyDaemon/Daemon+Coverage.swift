import Foundation
import Logging
import VerifyCore
import VerifyProtocol
import VerifyStore

extension Daemon {
    /// What history knows of an archive's entries, and the start of its coverage cycle: entries
    /// verified good since then are not read again until every entry has been (a run cut short
    /// by a budget, a stop or a crash is continued, not repeated).
    func coverageForRun(_ destination: DestinationConfiguration, archive: ArchiveFile, entries wanted: Bool = true) -> (items: [CoverageItem], cycleStart: Double)? {
        let now = clock()
        do {
            if try store.resetCoverageIfReplaced(destination: destination.name, archive: archive.path, size: archive.size, mtime: archive.mtime) {
                logger.info("archive replaced: its coverage starts over", metadata: ["archive.path": "\(archive.path)"])
            }
            if !wanted {
                // A run that reads everything needs the entries only to continue a cycle that a
                // run cut short left unfinished: counted in SQL, without fetching them.
                let info = try store.archiveCoverageInfo(destination: destination.name, archive: archive.path)
                let unfinished = try info.flatMap { info -> Bool? in
                    guard let start = info.cycleStarted else { return nil }
                    // No count yet: no run of this archive has finished; one may have started.
                    guard let total = info.entries else { return true }
                    return try store.entriesVerified(destination: destination.name, archive: archive.path, since: start) < total
                } ?? false
                if !unfinished {
                    try store.setArchiveCoverageInfo(
                        destination: destination.name, archive: archive.path, size: archive.size, mtime: archive.mtime, cycleStarted: now)
                    return nil
                }
            }
            let entries = try store.entrySamplingState(destination: destination.name, archive: archive.path)
            let info = try store.archiveCoverageInfo(destination: destination.name, archive: archive.path)
            var cycleStart = info?.cycleStarted
            if let start = cycleStart, let total = info?.entries {
                let done = entries.filter { $0.verifiedAt >= start }.count
                if done >= total { cycleStart = nil }
            }
            if cycleStart == nil {
                cycleStart = now
                try store.setArchiveCoverageInfo(
                    destination: destination.name, archive: archive.path, size: archive.size, mtime: archive.mtime, cycleStarted: now)
            }
            return (entries.map { CoverageItem(path: $0.path, verifiedAt: $0.verifiedAt, failed: $0.failed) }, cycleStart ?? now)
        } catch {
            logger.error("cannot read coverage; the run samples without it", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// After a run: raises `coverage_at_risk` when the destination's sample stopped being able
    /// to meet its coverage window (once per change, remembered across restarts).
    func evaluateCoverageRisk(_ destinationName: String) {
        guard let destination = configured(destinationName), destination.coverageWindow != nil,
            let tracker = trackers[destinationName]
        else { return }
        let (_, warnings) = coverageSummary(destination, tracker: tracker, now: clock())
        let key = destinationName + "#coverage"
        let state = warnings.isEmpty ? "met" : "at_risk"
        guard knownStates[key] != state else { return }
        let previous = knownStates[key]
        knownStates[key] = state
        try? store.setDestinationState(key, state: state, since: clock())
        if state == "at_risk" {
            raise(.coverageAtRisk, destination: destinationName, summary: "\(destinationName): \(warnings[0])")
        } else if previous == "at_risk" {
            logger.notice("coverage window can be met again", metadata: ["destination": "\(destinationName)"])
        }
    }

    /// The sample a run of this archive takes: the configured one, made larger when
    /// `coverage_window` needs more entries per run (a count or a percentage; a byte budget is
    /// a budget and stays as it is). The worker grows it again from the manifest it reads, so the
    /// first run, before history knows the entry count, reads as many as later ones.
    func effectiveSample(_ destination: DestinationConfiguration, archive: String) -> SamplePolicy {
        guard let runs = runsInCoverageWindow(destination) else { return destination.sample }
        guard let entries = (try? store.archiveCoverageInfo(destination: destination.name, archive: archive))??.entries, entries > 0 else {
            return destination.sample
        }
        return destination.sample.grown(toCover: entries, runsInWindow: runs)
    }

    /// How many runs of an archive fall within the destination's coverage window, if it has one.
    func runsInCoverageWindow(_ destination: DestinationConfiguration) -> Double? {
        destination.coverageWindow.map { $0 / destination.interval }
    }

    /// Entries a run must read so that every entry is read within the window.
    static func entriesPerRun(entries: Int, interval: Double, window: Double) -> Int {
        SamplePolicy.entriesPerRun(total: entries, runsInWindow: window / interval)
    }

    /// Stores how many entries the archive's manifest lists, at the end of a run.
    func recordManifestEntries(_ run: StartedRun, _ result: WorkerResult) {
        guard let entries = result.manifestEntries else { return }
        do {
            try store.setArchiveCoverageInfo(
                destination: run.destination, archive: run.file.path, size: run.file.size, mtime: run.file.mtime, entries: entries,
                bytes: result.manifestBytes)
        } catch {
            logger.error("cannot record coverage", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
        }
    }

    /// Coverage of the kept archives, and a warning when the sample cannot meet the window.
    /// `always`: also for a destination that reads everything and has no window (`coverage`
    /// answers for every destination; `status` only where sampling makes coverage a question).
    func coverageSummary(_ destination: DestinationConfiguration, tracker: ArchiveTracker, now: Double, always: Bool = false) -> (CoverageSummary?, [String]) {
        guard always || destination.sample != .all || destination.coverageWindow != nil else { return (nil, []) }
        guard let coverage = try? trackedCoverage(destination, tracker: tracker, now: now) else { return (nil, []) }
        let tally = CoverageTally(coverage)
        let perRun = plannedEntriesPerRun(destination, largest: tally.largest)
        let remaining = max(tally.entries - tally.verified, 0)
        var completeBy: Double?
        if perRun > 0, tally.largest > 0 {
            let runsPerArchive = Double(remaining) / Double(perRun * max(coverage.count, 1))
            completeBy = now + runsPerArchive.rounded(.up) * destination.interval
        }
        return (
            CoverageSummary(
                window: destination.coverageWindow, entries: tally.entries, verified: tally.verified, failed: tally.failed,
                oldestVerifiedAt: tally.oldest, neverVerified: tally.never, completeBy: completeBy,
                bytes: coverage.isEmpty ? nil : tally.totalBytes, verifiedBytes: tally.verifiedBytes),
            Self.coverageWarnings(destination, perRun: perRun, largest: tally.largest)
        )
    }

    /// Entries read per run of one archive: the sample (sized up for the window), unless a
    /// byte budget or max_duration/max_bytes decide, then what recent runs really read.
    private func plannedEntriesPerRun(_ destination: DestinationConfiguration, largest: Int) -> Int {
        var perRun: Int
        switch destination.sample {
        case .all: perRun = largest
        case .count(let n): perRun = n
        case .percent: perRun = destination.sample.size(of: largest)
        case .bytes: perRun = largest
        }
        if let window = destination.coverageWindow, largest > 0, destination.sample != .all {
            perRun = max(perRun, Self.entriesPerRun(entries: largest, interval: destination.interval, window: window))
        }
        let budgeted: Bool = {
            if case .bytes = destination.sample { return true }
            return destination.maxDuration != nil || destination.maxBytes != nil
        }()
        if budgeted {
            let recent = ((try? store.runs(destination: destination.name, limit: 5)) ?? []).filter { $0.verdict == .pass || $0.verdict == .fail }
            if let least = recent.map(\.entriesChecked).min() { perRun = min(perRun, least) }
        }
        return perRun
    }

    /// The warning when runs of `perRun` entries cannot read the largest archive within the window.
    private static func coverageWarnings(_ destination: DestinationConfiguration, perRun: Int, largest: Int) -> [String] {
        guard let window = destination.coverageWindow, largest > 0 else { return [] }
        let runsInWindow = max((window / destination.interval).rounded(.down), 1)
        let needed = entriesPerRun(entries: largest, interval: destination.interval, window: window)
        guard Double(perRun) * runsInWindow < Double(largest) else { return [] }
        return [
            "coverage_window \(DurationText.words(window)) cannot be met: runs read \(perRun) of \(largest) entries every \(DurationText.words(destination.interval)) (the budget stops them); \(needed) per run are needed"
        ]
    }

    /// The coverage of the destination's tracked archives, newest first: from `coverageKept`,
    /// reading from history only the archives it does not hold (see `KeptCoverage`).
    func trackedCoverage(_ destination: DestinationConfiguration, tracker: ArchiveTracker, now: Double) throws(StoreError) -> [HistoryStore.ArchiveCoverage] {
        let since = destination.coverageWindow.map { now - $0 } ?? 0
        let archives = tracker.tracked.map(\.path)
        var kept = coverageKept.removeValue(forKey: destination.name).flatMap { $0.answers(since: since) ? $0 : nil } ?? KeptCoverage(since: since)
        // Put back whatever happens (taken out so that adding rows does not copy them all).
        defer { coverageKept[destination.name] = kept }
        let missing = kept.missing(archives)
        if !missing.isEmpty { kept.add(try store.archiveCoverage(destination: destination.name, archives: missing, since: kept.since)) }
        return kept.rows(for: archives)
    }

    /// The archive's coverage in history changed (a run of it started or ended, or it is gone):
    /// its kept row is read again when next asked for.
    func coverageChanged(_ destination: String, archive: String) {
        coverageKept[destination]?.forget(archive)
    }

    public func coverage(_ arguments: CoverageArguments) async throws(WireError) -> CoverageResult {
        guard let destination = configured(arguments.destination),
            let tracker = trackers[destination.name]
        else {
            throw WireError(.unknownDestination, "no destination \"\(arguments.destination)\"")
        }
        let now = clock()
        let since = destination.coverageWindow.map { now - $0 } ?? 0
        var archives = tracker.tracked.map(\.path)
        if let archive = arguments.archive {
            let path = (archive as NSString).standardizingPath
            guard archives.contains(path) || tracker.archives.contains(where: { $0.path == path }) else {
                throw WireError(.unknownArchive, "\(path) is not an archive of \(destination.name)")
            }
            archives = [path]
        }
        do {
            let summaries = try store.archiveCoverage(destination: destination.name, archives: archives, since: since).map {
                ArchiveCoverageSummary(
                    archive: $0.archive, entries: $0.entries, verified: $0.verifiedSince, failed: $0.failed,
                    everVerified: $0.everVerified, oldestVerifiedAt: $0.oldestVerifiedAt)
            }
            let entries = try arguments.archive.map { _ in
                try store.entryCoverage(destination: destination.name, archive: archives[0]).map {
                    EntryCoverageSummary(path: $0.path, verifiedAt: $0.verifiedAt, failed: $0.failed, runId: $0.runID, digest: $0.digest, size: $0.size)
                }
            }
            return CoverageResult(
                destination: destination.name, summary: coverageSummary(destination, tracker: tracker, now: now, always: true).0,
                archives: summaries, entries: entries)
        } catch {
            throw WireError(.internalError, "\(error)")
        }
    }
}

/// The kept archives' coverage added up: entries (the manifest's, else those ever read),
/// verified and failed ones, the oldest verification, and the largest archive's entries.
struct CoverageTally {
    var entries = 0, verified = 0, failed = 0, never = 0
    var verifiedBytes: Int64 = 0
    /// nil as soon as one archive's total is unknown.
    var totalBytes: Int64? = 0
    var oldest: Double?
    var largest = 0

    init(_ coverage: [HistoryStore.ArchiveCoverage]) {
        for archive in coverage {
            let count = archive.entries ?? archive.everVerified
            entries += count
            largest = max(largest, count)
            verified += archive.verifiedSince
            verifiedBytes += archive.verifiedBytes
            totalBytes = archive.bytes.flatMap { bytes in totalBytes.map { $0 + bytes } }
            failed += archive.failed
            never += max(count - archive.everVerified, 0)
            if let at = archive.oldestVerifiedAt { oldest = min(oldest ?? at, at) }
        }
    }
}
