import Testing
@testable import VerifyCore

@Suite struct SamplingTests {
    let paths = (0..<1000).map { EntryPath("dir/file-\($0)") }

    @Test func sameSeedSameSampleInAnyOrder() {
        let a = SampleSelection.choose(paths, policy: .count(50), seed: 42)
        let shuffledPaths = paths.reversed() as [EntryPath]
        let b = SampleSelection.choose(shuffledPaths, policy: .count(50), seed: 42)
        let chosenA = Set(paths.indices.filter { a[$0] }.map { paths[$0] })
        let chosenB = Set(shuffledPaths.indices.filter { b[$0] }.map { shuffledPaths[$0] })
        #expect(chosenA.count == 50)
        #expect(chosenA == chosenB)
    }

    @Test func otherSeedOtherSample() {
        let a = SampleSelection.choose(paths, policy: .count(50), seed: 1)
        let b = SampleSelection.choose(paths, policy: .count(50), seed: 2)
        #expect(a != b)
    }

    /// The linear-time pick takes exactly the entries a full sort by (rank, name) puts first,
    /// names listed twice (equal ranks) included.
    @Test(arguments: [1, 2, 3, 7, 50, 499, 999, 1000])
    func theLinearPickIsTheSortedPrefix(count: Int) {
        let names = paths + (0..<40).map { EntryPath("dir/file-\($0 * 7)") } + [EntryPath("x"), EntryPath("x"), EntryPath("x")]
        let entries = ManifestEntries(names: names)
        for seed: UInt64 in [0, 1, 42, 0xdead_beef] {
            let sorted = Set(SampleSelection.rankOrder(entries, seed: seed).prefix(count).map(Int.init))
            let picked = SampleSelection.lowestRanked(entries, count: count, seed: seed)
            #expect(picked.count == count, "seed \(seed)")
            #expect(Set(picked) == sorted, "seed \(seed), \(count) entries")
        }
    }

    @Test(arguments: [(SamplePolicy.all, 1000), (.count(0), 0), (.count(5000), 1000), (.percent(10), 100), (.percent(0.05), 1), (.percent(100), 1000)])
    func sizes(policy: SamplePolicy, expected: Int) {
        #expect(SampleSelection.choose(paths, policy: policy, seed: 9).filter { $0 }.count == expected)
    }
}

@Suite struct EntryPathTests {
    @Test(arguments: [("./a/b", "a/b"), ("/a/b/", "a/b"), ("././a", "a"), (".", ""), ("a/./b", "a/./b"), ("..a", "..a")])
    func normalisation(raw: String, expected: String) {
        #expect(EntryPath(raw).description == expected)
    }

    @Test func stripComponents() {
        #expect(EntryPath("backup-1/etc/hosts").strippingComponents(1)?.description == "etc/hosts")
        #expect(EntryPath("backup-1").strippingComponents(1) == nil)
        #expect(EntryPath("a/b").strippingComponents(0)?.description == "a/b")
    }

    @Test func nonUTF8IsShownEscaped() {
        #expect(EntryPath(normalizing: [0x61, 0xff, 0x62]).description == "a\\xffb")
    }
}

@Suite struct ByteBudgetSamplingTests {
    let paths = (0..<100).map { EntryPath("file-\($0)") }

    @Test func takesEntriesInRankOrderWhileTheyFit() {
        let sizes = (0..<100).map { Int64($0 % 10 + 1) * 1000 }
        let flags = SampleSelection.choose(paths, sizes: sizes, budget: 20_000, seed: 9)
        let used = zip(flags, sizes).filter(\.0).map(\.1).reduce(0, +)
        #expect(used <= 20_000)
        #expect(flags.filter { $0 }.count >= 2)
        #expect(flags == SampleSelection.choose(paths, sizes: sizes, budget: 20_000, seed: 9), "replayable")
        #expect(flags != SampleSelection.choose(paths, sizes: sizes, budget: 20_000, seed: 10), "the seed matters")
    }

    @Test func alwaysTakesOneEntryAndAllWhenTheBudgetIsLarge() {
        let sizes = [Int64](repeating: 1 << 30, count: 100)
        #expect(SampleSelection.choose(paths, sizes: sizes, budget: 1, seed: 1).filter { $0 }.count == 1)
        #expect(SampleSelection.choose(paths, sizes: sizes, budget: .max, seed: 1).allSatisfy { $0 })
    }
}
