import Testing
@testable import VerifyCore

/// A sample chosen as whole intervals between a seek index's entry points: it reaches the
/// policy's share, reads about that share of the file, is replayable from its seed, reaches
/// every entry over a coverage cycle, is never empty, and an index whose intervals are too
/// coarse cannot make a small sample read the whole file.
@Suite struct ClusterSamplingTests {
    /// 1,000 entries of 1,000 bytes (a 1 MB tar in a 100 KB gzip file), a checkpoint every
    /// `perInterval` entries.
    static func index(perInterval: Int = 10, entries count: Int = 1_000) -> SeekIndex {
        let entries = (0..<count).map { i in
            SeekIndex.Entry(
                headerOffset: Int64(i) * 1_536, dataOffset: Int64(i) * 1_536 + 512, type: .file, size: 1_000,
                rawPath: Array("./data/f\(i)".utf8))
        }
        var points: [SeekIndex.Checkpoint] = []
        for i in stride(from: 0, to: count, by: perInterval) {
            let first = i == 0
            let bits: UInt8 = first ? 0 : 3
            let window: [UInt8] = first ? [] : [1]
            let offset = Int64(i)
            points.append(SeekIndex.Checkpoint(decodedOffset: offset * 1_536, compressedOffset: offset * 100, bits: bits, memberStart: first, window: window))
        }
        let identity = ArchiveIdentity(
            path: "/a.tar.gz", size: Int64(count) * 100, mtimeNanoseconds: 0, device: 1, inode: 1,
            headDigest: Array(repeating: 0, count: 32), tailDigest: Array(repeating: 0, count: 32))
        return SeekIndex(kind: .gzipTar, identity: identity, formatName: "GNU tar format", entries: entries, checkpoints: points,
                         decodedSize: Int64(count) * 1_536 + 1_024)
    }

    static func manifest(_ count: Int = 1_000, extra: [String] = []) -> ManifestEntries {
        ManifestEntries(names: (0..<count).map { EntryPath("data/f\($0)") } + extra.map { EntryPath($0) })
    }

    static func choose(
        _ index: SeekIndex, _ manifest: ManifestEntries, _ policy: SamplePolicy, seed: UInt64 = 1,
        coverage: [CoverageRecord?]? = nil, cycleStart: Double? = nil
    ) -> SeekIndex.ClusterChoice? {
        index.clusterSample(
            of: manifest, stripComponents: 0, sizes: Array(repeating: 1_000, count: manifest.count), coverage: coverage,
            cycleStart: cycleStart, policy: policy, seed: seed)
    }

    static func plan(_ choice: SeekIndex.ClusterChoice?) throws -> SeekIndex.ClusterPlan {
        guard case .chosen(let plan)? = choice else { throw PlanMissing(choice: "\(String(describing: choice))") }
        return plan
    }

    struct PlanMissing: Error { var choice: String }

    @Test func fivePercentReadsAboutFivePercent() throws {
        let plan = try Self.plan(Self.choose(Self.index(), Self.manifest(), .percent(5)))
        let chosen = plan.flags.filter { $0 }.count
        #expect(chosen == 50)
        #expect(plan.intervalsTaken == 5 && plan.intervalCount == 100)
        // Each interval read from its checkpoint to where its last entry's data ends.
        #expect(plan.readShare >= 0.049 && plan.readShare <= 0.055, "\(plan.readShare)")
        // Whole intervals: every chosen entry's neighbours in its interval are chosen too.
        for i in plan.flags.indices where plan.flags[i] { #expect(plan.flags[i / 10 * 10 ..< i / 10 * 10 + 10].allSatisfy { $0 }) }
        #expect(plan.summary.contains("5 of 100 intervals"))
    }

    @Test func reachesTheShareWhenIntervalsAreUneven() throws {
        let plan = try Self.plan(Self.choose(Self.index(perInterval: 7), Self.manifest(), .percent(12)))
        let chosen = plan.flags.filter { $0 }.count
        #expect(chosen >= 120 && chosen < 127, "\(chosen)")
        let bytes = try Self.plan(Self.choose(Self.index(), Self.manifest(), .bytes(30_000)))
        #expect(bytes.flags.filter { $0 }.count == 30)
    }

    @Test func reproduciblePerSeed() throws {
        let a = try Self.plan(Self.choose(Self.index(), Self.manifest(), .percent(5), seed: 9))
        let b = try Self.plan(Self.choose(Self.index(), Self.manifest(), .percent(5), seed: 9))
        let c = try Self.plan(Self.choose(Self.index(), Self.manifest(), .percent(5), seed: 10))
        #expect(a == b)
        #expect(a.flags != c.flags)
    }

    /// Each interval is as likely to come first, however many entries it holds: one interval of
    /// 500 entries among 50 of 10 is a one-entry sample's about 2% of the time, not half.
    @Test func aDenseIntervalIsNotFavoured() throws {
        let manifest = Self.manifest()
        let clusters = [Array(0..<500)] + stride(from: 500, to: 1_000, by: 10).map { Array($0..<($0 + 10)) }
        var dense = 0
        for seed in UInt64(1)...200 {
            let flags = ClusterSampling.choose(
                clusters: clusters, unplaced: [], entries: manifest, sizes: Array(repeating: 1, count: 1_000), coverage: nil,
                cycleStart: nil, policy: .count(1), seed: seed)
            #expect(flags.filter { $0 }.count == (flags[0] ? 500 : 10))
            if flags[0] { dense += 1 }
        }
        #expect(dense < 20, "the dense interval came first for \(dense) of 200 seeds")
    }

    /// Runs of 5% with coverage: every entry is read within 20 runs, none twice before all are.
    @Test func aCoverageCycleReachesEveryEntry() throws {
        let index = Self.index(perInterval: 13)
        let manifest = Self.manifest()
        var coverage = [CoverageRecord?](repeating: nil, count: manifest.count)
        var runs = 0
        while coverage.contains(where: { $0 == nil }) {
            runs += 1
            let plan = try Self.plan(Self.choose(index, manifest, .percent(5), seed: UInt64(runs), coverage: coverage, cycleStart: 0))
            #expect(plan.flags.contains(true))
            for i in plan.flags.indices where plan.flags[i] {
                #expect(coverage[i] == nil, "entry \(i) read twice in one cycle (run \(runs))")
                coverage[i] = CoverageRecord(verifiedAt: Double(runs), failed: false)
            }
            guard runs < 40 else { break }
        }
        #expect(runs <= 21, "\(runs) runs")
        #expect(!coverage.contains { $0 == nil })
    }

    @Test func failedEntriesAreAlwaysReadAgain() throws {
        let manifest = Self.manifest()
        var coverage = [CoverageRecord?](repeating: CoverageRecord(verifiedAt: 5, failed: false), count: manifest.count)
        coverage[733] = CoverageRecord(verifiedAt: 5, failed: true)
        for seed in UInt64(1)...5 {
            let plan = try Self.plan(Self.choose(Self.index(), manifest, .count(1), seed: seed, coverage: coverage, cycleStart: 1))
            #expect(plan.flags[733])
            #expect(plan.flags.filter { $0 }.count == 10)
        }
    }

    @Test func neverEmptyForANonEmptyArchive() throws {
        for policy in [SamplePolicy.count(1), .percent(0.01), .bytes(1)] {
            let plan = try Self.plan(Self.choose(Self.index(), Self.manifest(), policy))
            #expect(plan.flags.filter { $0 }.count == 10, "\(policy)")
        }
    }

    /// Entries the index does not hold cost no read: they are always in the sample, so that a
    /// missing entry is reported as a sequential read reports it.
    @Test func entriesMissingFromTheArchiveAreAlwaysSampled() throws {
        let manifest = Self.manifest(extra: ["data/gone", "elsewhere/x"])
        let plan = try Self.plan(Self.choose(Self.index(), manifest, .percent(5)))
        #expect(plan.flags[1_000] && plan.flags[1_001])
    }

    /// A hostile (or odd) index with one interval holding almost everything: a 5% sample
    /// would read the whole file, so it is chosen entry by entry, and the choice says why.
    @Test func oneHugeIntervalIsDeclined() {
        var index = Self.index()
        index.checkpoints = [index.checkpoints[0], index.checkpoints[99]]
        guard case .declined(let why)? = Self.choose(index, Self.manifest(), .percent(5)) else {
            Issue.record("not declined")
            return
        }
        #expect(why.contains("too coarse") && why.contains("of the entries") && why.contains("entry by entry"), "\(why)")
    }

    /// What the guard weighs: entries taken, the file read, and the sampled content's bytes.
    @Test func coarsenessWeighsEntriesReadAndContent() {
        // A 5% sample: 7% of the entries reading 9% of the file is fine.
        #expect(ClusterSampling.coarseness(read: 0.09, entries: 0.07, content: 0.05, target: 0.05) == nil)
        // Every entry: the hostile single interval.
        #expect(ClusterSampling.coarseness(read: 1, entries: 1, content: 1, target: 0.05)?.contains("100% of the entries") == true)
        // 26% of the file for 6% of the entries holding 20% of the bytes (a large file): fine.
        #expect(ClusterSampling.coarseness(read: 0.26, entries: 0.06, content: 0.2, target: 0.05) == nil)
        // 26% of the file for 6% of the entries holding 5% of the bytes: too coarse.
        #expect(ClusterSampling.coarseness(read: 0.26, entries: 0.06, content: 0.05, target: 0.05)?.contains("26% of the file") == true)
        // 100 entries of 55,000 as one dense interval of 3,700 entries (7%): fine.
        #expect(ClusterSampling.coarseness(read: 0.03, entries: 0.07, content: 0.01, target: 0.002) == nil)
    }

    @Test func noIntervalsNoClusters() {
        var index = Self.index()
        index.kind = .plainTar
        index.checkpoints = []
        #expect(Self.choose(index, Self.manifest(), .percent(5)) == nil)
        #expect(Self.choose(Self.index(), Self.manifest(), .all) == nil)
    }
}
