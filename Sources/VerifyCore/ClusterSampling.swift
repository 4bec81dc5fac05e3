/// A sample chosen as whole *clusters* (the entries between two entry points of a seek index:
/// gzip checkpoints, zstd frames, xz blocks) instead of entry by entry, so that a read through
/// the index costs about the sample's share of the file: a random 5% of many small entries
/// falls in almost every interval, 5% of the intervals is 5% of the file.
///
/// Clusters are taken in the order `CoverageSampling` takes entries: those holding an entry
/// whose last check failed (always, past the sample's size), then those holding an entry never
/// verified, then the least recently verified; equal ages by the seeded rank of their first
/// entry's name (`SampleSelection`), so a sample is replayable from its seed and every interval
/// is as likely to come first, whatever its number of entries (the lowest rank of all its
/// entries would favour the intervals of many small files). With a cycle
/// start, a cluster whose every entry was verified good since then is done for the cycle: a
/// sample of N% per run reads every cluster, and so every entry, within about 100/N runs.
public enum ClusterSampling {
    /// Flags, one per manifest entry: every entry of the clusters taken, and every entry in
    /// `unplaced` (entries the index does not hold: they cost no read, and the check reports
    /// them missing as a sequential read would).
    ///
    /// `clusters`: per cluster, the manifest entries in it (each entry in at most one).
    /// `coverage`: per manifest entry, what history knows of it (nil: no coverage, plain seeded order).
    public static func choose(
        clusters: [[Int]], unplaced: [Int], entries: ManifestEntries, sizes: [Int64], coverage: [CoverageRecord?]?,
        cycleStart: Double?, policy: SamplePolicy, seed: UInt64
    ) -> [Bool] {
        precondition(entries.count == sizes.count)
        var flags = Array(repeating: false, count: entries.count)
        for index in unplaced { flags[index] = true }
        let ranks = SampleSelection.ranks(entries, seed: seed)
        let keyed = clusters.indices.compactMap { c -> (cluster: Int, key: Key)? in
            key(of: clusters[c], coverage: coverage, cycleStart: cycleStart, ranks: ranks).map { (c, $0) }
        }
        let order = keyed.sorted { $0.key < $1.key }.map(\.cluster)
        switch policy {
        case .all:
            for c in order { for index in clusters[c] { flags[index] = true } }
        case .count, .percent:
            let size = policy.size(of: entries.count)
            var taken = 0
            for c in order where taken < size || holdsFailure(clusters[c], coverage) {
                for index in clusters[c] { flags[index] = true }
                taken += clusters[c].count
            }
        case .bytes(let budget):
            var used: Int64 = 0
            for (position, c) in order.enumerated() {
                let bytes = clusters[c].reduce(Int64(0)) { $0 &+ max(sizes[$1], 0) }
                if position > 0, !holdsFailure(clusters[c], coverage), used &+ bytes > budget { continue }
                used &+= bytes
                for index in clusters[c] { flags[index] = true }
            }
        }
        return flags
    }

    /// A cluster's place in the order: its most urgent eligible entry (failed, never verified,
    /// oldest), then the rank of its first entry. Nil when no entry of it is eligible (or it is empty).
    struct Key: Comparable {
        var urgency: Int
        var verifiedAt: Double
        var rank: UInt64
        static func < (a: Key, b: Key) -> Bool {
            (a.urgency, a.verifiedAt, a.rank) < (b.urgency, b.verifiedAt, b.rank)
        }
    }

    static func key(of cluster: [Int], coverage: [CoverageRecord?]?, cycleStart: Double?, ranks: [UInt64]) -> Key? {
        var best: Key?
        for index in cluster {
            let record = coverage?[index] ?? nil
            if let cycleStart, let record, let at = record.verifiedAt, !record.failed, at >= cycleStart { continue }
            let urgency: (Int, Double) = switch (record?.failed, record?.verifiedAt) {
            case (true?, let at): (0, at ?? 0)
            case (_, let at?): (2, at)
            default: (1, 0)
            }
            let candidate = Key(urgency: urgency.0, verifiedAt: urgency.1, rank: ranks[cluster[0]])
            if best.map({ candidate < $0 }) ?? true { best = candidate }
        }
        return best
    }

    static func holdsFailure(_ cluster: [Int], _ coverage: [CoverageRecord?]?) -> Bool {
        guard let coverage else { return false }
        return cluster.contains { coverage[$0]?.failed == true }
    }

    /// The share of the file a sample under `policy` is meant to read: its share of the entries,
    /// or of their bytes for a byte budget.
    public static func targetShare(_ policy: SamplePolicy, entries: Int, totalBytes: Int64) -> Double {
        guard entries > 0 else { return 1 }
        switch policy {
        case .all: return 1
        case .count, .percent: return Double(policy.size(of: entries)) / Double(entries)
        case .bytes(let budget): return totalBytes > 0 ? min(Double(budget) / Double(totalBytes), 1) : 1
        }
    }

    /// The most of the file a cluster sample may read for a sample meant to read `target` of it:
    /// twice that, plus 5% (one interval for a small sample: the read is counted to the first
    /// checkpoint past the last entry's data, and a large file's data spans several intervals:
    /// 2% to 4% for one interval of a 389 MiB tar.gz with 121). Past it the intervals are too
    /// coarse (a hostile or odd index with one huge interval) and the sample is chosen entry
    /// by entry instead.
    public static func readLimit(target: Double) -> Double { min(2 * target + 0.05, 1) }

    /// Why a cluster sample meant to take `target` of the archive is too coarse, or nil. It
    /// takes `entries` of the entries the index holds, whose content is `content` of all the
    /// bytes, and reads `read` of the file.
    /// - More than `readLimit(target)` of the entries, and over 10%: the intervals hold too many
    ///   entries (an index with one huge interval would turn a 5% sample into a full verify).
    /// - A read past `readLimit` both of the target and of the content's share: the read is not
    ///   explained by the sampled entries' own bytes (an interval holding a large file is).
    static func coarseness(read: Double, entries: Double, content: Double, target: Double) -> String? {
        if entries > max(readLimit(target: target), 0.1) {
            return "a sample of whole intervals would take \(Int((entries * 100).rounded()))% of the entries"
        }
        if read > readLimit(target: target), read > readLimit(target: content) {
            return "a sample of whole intervals would read \(Int((read * 100).rounded()))% of the file"
        }
        return nil
    }
}
