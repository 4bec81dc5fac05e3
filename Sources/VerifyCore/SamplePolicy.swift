/// How many of a manifest's entries a run checks.
public enum SamplePolicy: Sendable, Equatable, CustomStringConvertible {
    case all
    case count(Int)
    /// A percentage from 0 to 100 (of the entries, rounded up).
    case percent(Double)
    /// Entries whose sizes add up to at most this many bytes (at least one entry is taken).
    case bytes(Int64)

    public var description: String {
        switch self {
        case .all: "all"
        case .count(let n): "\(n) entries"
        case .percent(let p): "\(p)%"
        case .bytes(let b): "\(b) bytes"
        }
    }

    /// How many of `total` entries this policy takes (a byte budget is decided by the sizes, so
    /// it takes them all here).
    public func size(of total: Int) -> Int {
        switch self {
        case .all, .bytes: total
        case .count(let n): min(max(n, 0), total)
        case .percent(let p):
            min(total, Int((Double(total) * min(max(p, 0), 100) / 100).rounded(.up)))
        }
    }
}

/// Picks a deterministic sample: the same seed and the same names give the same sample, in any
/// order of the manifest. Each name gets a rank from a hash of its bytes mixed with the seed; the
/// lowest ranks are taken.
public enum SampleSelection {
    /// Flags, one per path, true for the entries in the sample.
    public static func choose(_ paths: [EntryPath], policy: SamplePolicy, seed: UInt64) -> [Bool] {
        if case .bytes(let budget) = policy {
            return choose(paths, sizes: paths.map { _ in 0 }, budget: budget, seed: seed)
        }
        let size = policy.size(of: paths.count)
        if size >= paths.count { return Array(repeating: true, count: paths.count) }
        var flags = Array(repeating: false, count: paths.count)
        guard size > 0 else { return flags }
        let ranked = paths.indices.map { (rank: rank(paths[$0], seed: seed), index: $0) }
            .sorted { $0.rank != $1.rank ? $0.rank < $1.rank : paths[$0.index] < paths[$1.index] }
        for item in ranked.prefix(size) { flags[item.index] = true }
        return flags
    }

    /// Flags for a byte budget: entries in rank order while their sizes fit in `budget`; the first
    /// entry in rank order is always taken, so a run checks something even when it is larger than
    /// the budget. `sizes` are the entries' sizes, or an estimate where the manifest has none.
    public static func choose(_ paths: [EntryPath], sizes: [Int64], budget: Int64, seed: UInt64) -> [Bool] {
        precondition(paths.count == sizes.count)
        var flags = Array(repeating: false, count: paths.count)
        let ranked = paths.indices.map { (rank: rank(paths[$0], seed: seed), index: $0) }
            .sorted { $0.rank != $1.rank ? $0.rank < $1.rank : paths[$0.index] < paths[$1.index] }
        var used: Int64 = 0
        for (position, item) in ranked.enumerated() {
            let size = max(sizes[item.index], 0)
            if position > 0, used &+ size > budget { continue }
            used &+= size
            flags[item.index] = true
        }
        return flags
    }

    /// The rank of a name under a seed: FNV-1a of the bytes, mixed with the seed by SplitMix64.
    public static func rank(_ path: EntryPath, seed: UInt64) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return splitMix64(hash ^ splitMix64(seed))
    }

    static func splitMix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
