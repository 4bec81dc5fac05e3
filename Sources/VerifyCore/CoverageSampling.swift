/// What history knows about one entry of one archive: when it was last read back, and whether
/// that read found it bad.
public struct CoverageRecord: Sendable, Equatable, Codable {
    /// Unix seconds of the last verification, nil when never verified.
    public var verifiedAt: Double?
    public var failed: Bool

    public init(verifiedAt: Double?, failed: Bool) {
        self.verifiedAt = verifiedAt
        self.failed = failed
    }
}

/// Coverage-aware sampling: entries whose last check failed first (every run until they pass),
/// then entries never verified, then the least recently verified; equal ages are ordered by the
/// seeded rank, so a run is replayable from its seed and the coverage it started from. A sample
/// of N per run therefore reads every entry once before it reads any entry twice.
public enum CoverageSampling {
    /// Flags, one per path, true for the entries in the sample. `coverage` is keyed by the
    /// entries' display names (`EntryPath.description`).
    ///
    /// `cycleStart`: entries verified good since then are done for the current coverage cycle and
    /// are not chosen again (a run cut short by its budget or by a crash is continued, not
    /// repeated); failed entries always are.
    public static func choose(
        _ paths: [EntryPath], sizes: [Int64], coverage: [String: CoverageRecord], policy: SamplePolicy, seed: UInt64,
        cycleStart: Double? = nil
    ) -> [Bool] {
        choose(ManifestEntries(names: paths), sizes: sizes, coverage: coverage, policy: policy, seed: seed, cycleStart: cycleStart)
    }

    public static func choose(
        _ entries: ManifestEntries, sizes: [Int64], coverage: [String: CoverageRecord], policy: SamplePolicy, seed: UInt64,
        cycleStart: Double? = nil
    ) -> [Bool] {
        precondition(entries.count == sizes.count)
        let records = entries.indices.map { coverage[entries.path(at: $0).description] }
        let eligible = records.map { record -> Bool in
            guard let cycleStart, let record, let at = record.verifiedAt else { return true }
            return record.failed || at < cycleStart
        }
        if policy == .all { return eligible }
        let ranks = SampleSelection.ranks(entries, seed: seed)
        let order = entries.indices.filter { eligible[$0] }.sorted { a, b in
            let ka = key(records[a]), kb = key(records[b])
            if ka.0 != kb.0 { return ka.0 < kb.0 }
            if ka.1 != kb.1 { return ka.1 < kb.1 }
            return ranks[a] != ranks[b] ? ranks[a] < ranks[b] : entries.pathPrecedes(a, b)
        }
        var flags = Array(repeating: false, count: entries.count)
        switch policy {
        case .all:
            break
        case .count, .percent:
            let size = policy.size(of: entries.count)
            var taken = 0
            for index in order {
                // Failed entries are always re-checked, even past the sample size.
                if taken >= size, records[index]?.failed != true { break }
                flags[index] = true
                taken += 1
            }
        case .bytes(let budget):
            var used: Int64 = 0
            for (position, index) in order.enumerated() {
                let size = max(sizes[index], 0)
                let mustCheck = records[index]?.failed == true
                if position > 0, !mustCheck, used &+ size > budget { continue }
                used &+= size
                flags[index] = true
            }
        }
        return flags
    }

    /// Failed first (0), never verified (1), then verified (2) oldest first.
    private static func key(_ record: CoverageRecord?) -> (Int, Double) {
        guard let record else { return (1, 0) }
        if record.failed { return (0, record.verifiedAt ?? 0) }
        guard let at = record.verifiedAt else { return (1, 0) }
        return (2, at)
    }
}
