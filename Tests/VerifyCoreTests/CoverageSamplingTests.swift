import Testing
@testable import VerifyCore

struct CoverageSamplingTests {
    let paths = (0..<1000).map { EntryPath("data/file-\($0)") }
    var sizes: [Int64] { paths.map { _ in 100 } }

    /// Runs the sampler `runs` times, each run marking what it read as verified at time `run`.
    func simulate(runs: Int, policy: SamplePolicy, failing: Set<String> = []) -> (reads: [String: Int], perRun: [[String]]) {
        var coverage: [String: CoverageRecord] = [:]
        var reads: [String: Int] = [:]
        var perRun: [[String]] = []
        for run in 0..<runs {
            let flags = CoverageSampling.choose(paths, sizes: sizes, coverage: coverage, policy: policy, seed: UInt64(run))
            var chosen: [String] = []
            for (path, flag) in zip(paths, flags) where flag {
                let name = path.description
                chosen.append(name)
                reads[name, default: 0] += 1
                coverage[name] = CoverageRecord(verifiedAt: Double(run), failed: failing.contains(name))
            }
            perRun.append(chosen)
        }
        return (reads, perRun)
    }

    @Test func tenPercentPerRunCoversEverythingInTenRunsWithoutRereading() {
        let (reads, perRun) = simulate(runs: 10, policy: .percent(10))
        #expect(perRun.allSatisfy { $0.count == 100 })
        #expect(reads.count == 1000, "every entry read")
        #expect(reads.values.allSatisfy { $0 == 1 }, "none read twice before all were read once")
        // The eleventh run starts over with the least recently verified: run 0's entries.
        let (_, more) = simulate(runs: 11, policy: .percent(10))
        #expect(Set(more[10]) == Set(perRun[0]))
    }

    @Test func aFailedEntryIsRecheckedEveryRunUntilItPasses() {
        let bad = simulate(runs: 1, policy: .count(50)).perRun[0][0]
        let (reads, perRun) = simulate(runs: 5, policy: .count(50), failing: [bad])
        for run in perRun { #expect(run.contains(bad)) }
        #expect(reads[bad] == 5)
        #expect(perRun.allSatisfy { $0.count == 50 }, "the failed entry counts toward the sample size")
    }

    @Test func replayableFromTheSeedAndTheCoverage() {
        let coverage = ["data/file-1": CoverageRecord(verifiedAt: 5, failed: false)]
        let a = CoverageSampling.choose(paths, sizes: sizes, coverage: coverage, policy: .count(30), seed: 99)
        let b = CoverageSampling.choose(paths, sizes: sizes, coverage: coverage, policy: .count(30), seed: 99)
        #expect(a == b)
        #expect(!a[1], "the verified entry waits until the never-verified ones are done")
    }

    @Test func aByteBudgetTakesTheLeastRecentlyVerifiedThatFit() {
        var coverage: [String: CoverageRecord] = [:]
        for index in 0..<900 { coverage["data/file-\(index)"] = CoverageRecord(verifiedAt: Double(index), failed: false) }
        let flags = CoverageSampling.choose(paths, sizes: sizes, coverage: coverage, policy: .bytes(10_000), seed: 1)
        let chosen = zip(paths, flags).filter(\.1).map(\.0.description)
        #expect(chosen.count == 100)
        #expect(Set(chosen) == Set((900..<1000).map { "data/file-\($0)" }), "the 100 never verified")
    }
}
