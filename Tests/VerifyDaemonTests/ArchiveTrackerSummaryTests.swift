import Testing
import VerifyCore
import VerifyProtocol
@testable import VerifyDaemon

/// Issue 20: the tracker keeps its orderings and counts up to date instead of recomputing them
/// from every archive. Checked against the plain computation from everything (the tracker as it
/// was), after every step of seeded random histories; and a host-sized destination is not
/// rebuilt by a scan that changed nothing, nor by runs.
struct ArchiveTrackerSummaryTests {
    /// The answers computed from scratch, as the tracker computed them before issue 20.
    struct Reference {
        let t: ArchiveTracker

        var archives: [ArchiveFile] { t.observations.values.map(\.file).sorted(by: t.isNewer) }
        var tracked: [ArchiveFile] { Array(archives.prefix(t.settings.keepVerifying)) }
        var verifying: [ArchiveFile] {
            Array(tracked) + archives.dropFirst(t.settings.keepVerifying).filter { t.failing.contains($0.path) }
        }

        func matches(_ file: ArchiveFile) -> ArchiveTracker.RunMark? {
            guard let mark = t.lastRuns[file.path], mark.size == file.size, mark.mtime == file.mtime else { return nil }
            return mark
        }

        func due(at now: Double) -> [String] {
            verifying.filter { file in
                guard !t.active.contains(file.path), let o = t.observations[file.path], now - o.since >= t.settings.settle else { return false }
                if !o.file.companionsReady, now - o.since < t.settings.settle + t.settings.companionGrace { return false }
                guard let mark = matches(o.file), mark.verdict != .interrupted else { return true }
                return now >= mark.finished + t.settings.interval
            }.map(\.path)
        }

        func state(at now: Double) -> (DestinationState, String) {
            guard case .found = t.scan else { return t.state(at: now) }
            if !t.failing.isEmpty { return (.failing, "\(t.failing.count) archive(s) failed verification and have not passed since") }
            guard let newest = archives.first else { return t.state(at: now) }
            if let maxAge = t.settings.maxAge, now - t.orderTime(newest) > maxAge { return t.state(at: now) }
            if let reason = tracked.lazy.compactMap({ self.t.waiting[$0.path] }).first { return (.pending, reason) }
            let unverified = tracked.filter { matches($0) == nil || matches($0)?.verdict == .interrupted }
            if !unverified.isEmpty { return (.pending, "\(unverified.count) archive(s) not verified yet") }
            return (.ok, "the newest \(tracked.count) archive(s) passed")
        }

        var failingArchives: [String] {
            let found = archives.map(\.path).filter { t.failing.contains($0) }
            return found + t.failing.subtracting(found).sorted()
        }
    }

    /// A small deterministic generator (SplitMix64), so that a failure replays.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    func tracker(keep: Int) -> ArchiveTracker {
        var destination = DestinationConfiguration(name: "d", path: "/d")
        destination.settle = 60
        destination.interval = 500
        destination.keepVerifying = keep
        destination.pollInterval = 30
        destination.futureMtimeTolerance = 3600
        return ArchiveTracker(settings: .init(destination: destination))
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomHistoriesAgreeWithTheComputationFromEverything(seed: UInt64) {
        var random = Random(state: seed)
        var t = tracker(keep: 1 + random.next(4))
        var files: [String: ArchiveFile] = [:]
        var now = 1000.0
        for step in 0..<300 {
            now += Double(random.next(120))
            let path = "/d/\(random.next(12)).tar"
            switch random.next(10) {
            case 0...2:
                // A scan: files arrive, grow, lose or gain their manifest, go away.
                for _ in 0..<random.next(4) {
                    let p = "/d/\(random.next(12)).tar"
                    switch random.next(5) {
                    case 0: files[p] = nil
                    case 1: files[p]?.companionsReady.toggle()
                    case 2: files[p] = ArchiveFile(path: p, size: 10, mtime: now + 90_000, companionsReady: true)
                    default: files[p] = ArchiveFile(path: p, size: Int64(random.next(3)), mtime: now - Double(random.next(50)), companionsReady: random.next(4) > 0)
                    }
                }
                t.observe(.found(archives: files.values.sorted { $0.path < $1.path }, folders: ["/d"]), at: now)
            case 3:
                if let file = files[path] {
                    let verdict: Verdict = [.pass, .pass, .fail, .error, .interrupted][random.next(5)]
                    t.recordRun(path: path, .init(size: file.size, mtime: file.mtime, finished: now, verdict: verdict))
                    t.markInactive(path)
                }
            case 4: t.markActive(path)
            case 5: t.markInactive(path)
            case 6: t.restartSettle(path, because: "\(path) is still being written", at: now)
            case 7: t.wait(path, because: "held \(step)")
            case 8: if random.next(8) == 0 { t.settings.keepVerifying = 1 + random.next(4) }
            default:
                for (file, _) in t.due(at: now) { t.markActive(file.path) }
            }
            let reference = Reference(t: t)
            #expect(t.archives == reference.archives, "step \(step)")
            #expect(t.verifying == reference.verifying, "step \(step)")
            #expect(Set(t.due(at: now).map(\.file.path)) == Set(reference.due(at: now)), "step \(step)")
            #expect(t.due(at: now).map(\.file.path) == reference.due(at: now), "newest first, step \(step)")
            #expect(t.state(at: now) == reference.state(at: now), "step \(step)")
            #expect(t.failingArchives == reference.failingArchives, "step \(step)")
            // Nothing due is ever missed: the next wake is no later than the first time one is due.
            let wake = t.nextWake(after: now)
            #expect(reference.due(at: wake - 0.001).isEmpty || wake <= now, "step \(step): woken too late")
        }
    }

    @Test func aHostSizedDestinationIsRebuiltOnlyByScansThatChangeIt() {
        var t = tracker(keep: 100_000)
        let files = (0..<100_000).map { ArchiveFile(path: "/d/\($0).tar.gz", size: 1000, mtime: Double($0), companionsReady: true) }
        t.observe(.found(archives: files, folders: ["/d"]), at: 200_000)
        #expect(t.rebuilds == 1)
        #expect(t.due(at: 200_059).isEmpty)
        let due = t.due(at: 200_060)
        #expect(due.count == 100_000)
        #expect(due.first?.file.path == "/d/99999.tar.gz", "newest first")
        for (file, _) in due { t.markActive(file.path) }
        #expect(t.nextDue == nil)
        #expect(t.nextRun(after: 200_060) == 200_060, "runs are queued")
        for (index, file) in files.enumerated() {
            t.recordRun(path: file.path, .init(size: 1000, mtime: file.mtime, finished: 200_100 + Double(index) / 1000, verdict: .pass))
            t.markInactive(file.path)
        }
        #expect(t.state(at: 200_200) == (.ok, "the newest 100000 archive(s) passed"))
        #expect(t.nextDue == 200_600, "the first run's interval")
        t.observe(.found(archives: files, folders: ["/d"]), at: 200_300)
        #expect(t.rebuilds == 1, "100,000 runs and an unchanged scan rebuilt nothing")
        var grown = files
        grown.append(ArchiveFile(path: "/d/new.tar.gz", size: 5, mtime: 200_250, companionsReady: true))
        t.observe(.found(archives: grown, folders: ["/d"]), at: 200_400)
        #expect(t.rebuilds == 2, "an arrival did")
        #expect(t.newest?.path == "/d/new.tar.gz")
        #expect(t.state(at: 200_400) == (.pending, "1 archive(s) not verified yet"))
    }
}
