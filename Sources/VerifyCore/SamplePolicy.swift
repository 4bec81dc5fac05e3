/// How many of a manifest's entries a run checks.
public enum SamplePolicy: Sendable, Equatable, Codable, CustomStringConvertible {
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

    /// Entries a run must read so that all `total` are read within `runsInWindow` runs.
    public static func entriesPerRun(total: Int, runsInWindow: Double) -> Int {
        Int((Double(total) / max(runsInWindow.rounded(.down), 1)).rounded(.up))
    }

    /// This policy, made larger when it reads fewer of `total` entries per run than a coverage
    /// window of `runsInWindow` runs needs. A count or a percentage grows; `all` needs no growing
    /// and a byte budget is a budget, so both stay as they are.
    public func grown(toCover total: Int, runsInWindow: Double) -> SamplePolicy {
        switch self {
        case .all, .bytes: return self
        case .count, .percent:
            let needed = Self.entriesPerRun(total: total, runsInWindow: runsInWindow)
            return size(of: total) < needed ? .count(needed) : self
        }
    }
}

/// Picks a deterministic sample: the same seed and the same names give the same sample, in any
/// order of the manifest. Each name gets a rank from a hash of its bytes mixed with the seed; the
/// lowest ranks are taken.
public enum SampleSelection {
    /// Flags, one per path, true for the entries in the sample.
    public static func choose(_ paths: [EntryPath], policy: SamplePolicy, seed: UInt64) -> [Bool] {
        choose(ManifestEntries(names: paths), policy: policy, seed: seed)
    }

    /// Flags, one per entry, true for the entries in the sample.
    public static func choose(_ entries: ManifestEntries, policy: SamplePolicy, seed: UInt64) -> [Bool] {
        if case .bytes(let budget) = policy {
            return choose(entries, sizes: Array(repeating: 0, count: entries.count), budget: budget, seed: seed)
        }
        let size = policy.size(of: entries.count)
        if size >= entries.count { return Array(repeating: true, count: entries.count) }
        var flags = Array(repeating: false, count: entries.count)
        guard size > 0 else { return flags }
        for index in lowestRanked(entries, count: size, seed: seed) { flags[index] = true }
        return flags
    }

    /// The `count` entries first in rank order (ties by name), found without sorting them all:
    /// the count-th lowest rank is selected in linear time, and only the entries at or below it
    /// are ordered (a 1,000,000-entry manifest's 5% sample sorted every entry first).
    static func lowestRanked(_ entries: ManifestEntries, count: Int, seed: UInt64) -> [Int] {
        let ranks = ranks(entries, seed: seed)
        var scratch = ranks
        let threshold = Self.select(&scratch, count - 1)
        var chosen: [Int] = []
        var tied: [Int] = []
        chosen.reserveCapacity(count)
        for (index, rank) in ranks.enumerated() {
            if rank < threshold { chosen.append(index) } else if rank == threshold { tied.append(index) }
        }
        tied.sort { entries.pathPrecedes($0, $1) }
        chosen += tied.prefix(count - chosen.count)
        return chosen
    }

    /// The value that would stand at `k` were `values` sorted (`values` is reordered):
    /// quickselect, with the median of three as pivot.
    static func select(_ values: inout [UInt64], _ k: Int) -> UInt64 {
        var low = 0
        var high = values.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            let pivot = max(min(values[low], values[middle]), min(max(values[low], values[middle]), values[high]))
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return values[k] }
        }
        return values[k]
    }

    /// Flags for a byte budget: entries in rank order while their sizes fit in `budget`; the first
    /// entry in rank order is always taken, so a run checks something even when it is larger than
    /// the budget. `sizes` are the entries' sizes, or an estimate where the manifest has none.
    public static func choose(_ paths: [EntryPath], sizes: [Int64], budget: Int64, seed: UInt64) -> [Bool] {
        choose(ManifestEntries(names: paths), sizes: sizes, budget: budget, seed: seed)
    }

    public static func choose(_ entries: ManifestEntries, sizes: [Int64], budget: Int64, seed: UInt64) -> [Bool] {
        precondition(entries.count == sizes.count)
        var flags = Array(repeating: false, count: entries.count)
        var used: Int64 = 0
        for (position, index) in rankOrder(entries, seed: seed).enumerated() {
            let size = max(sizes[Int(index)], 0)
            if position > 0, used &+ size > budget { continue }
            used &+= size
            flags[Int(index)] = true
        }
        return flags
    }

    /// The entries' indices by seeded rank, ties by name (4 bytes an entry, names not copied).
    static func rankOrder(_ entries: ManifestEntries, seed: UInt64) -> [Int32] {
        let ranks = ranks(entries, seed: seed)
        return (0..<Int32(entries.count)).sorted { a, b in
            let ra = ranks[Int(a)], rb = ranks[Int(b)]
            return ra != rb ? ra < rb : entries.pathPrecedes(Int(a), Int(b))
        }
    }

    static func ranks(_ entries: ManifestEntries, seed: UInt64) -> [UInt64] {
        let mixedSeed = splitMix64(seed)
        return entries.indices.map { index in
            entries.withPathBytes(at: index) { splitMix64(fnv1a($0) ^ mixedSeed) }
        }
    }

    /// The rank of a name under a seed: FNV-1a of the bytes, mixed with the seed by SplitMix64.
    public static func rank(_ path: EntryPath, seed: UInt64) -> UInt64 {
        path.bytes.withUnsafeBufferPointer { splitMix64(fnv1a($0) ^ splitMix64(seed)) }
    }

    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func splitMix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
