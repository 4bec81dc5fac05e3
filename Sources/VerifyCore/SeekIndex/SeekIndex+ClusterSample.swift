/// Choosing a sample as whole intervals between the index's entry points (`ClusterSampling`).
extension SeekIndex {
    /// What a sample chosen through the index is.
    public struct ClusterPlan: Sendable, Equatable {
        /// One flag per manifest entry.
        public var flags: [Bool]
        /// Intervals taken, of the intervals holding a manifest entry.
        public var intervalsTaken: Int
        public var intervalCount: Int
        /// The share of the archive file a read through the index inflates for it.
        public var readShare: Double

        public var summary: String {
            let percent = (readShare * 1000).rounded() / 10
            return "sample chosen as \(intervalsTaken) of \(intervalCount) intervals between the index's entry points (a read of \(percent)% of the file)"
        }
    }

    /// The outcome: a plan, or why the sample is chosen entry by entry after all.
    public enum ClusterChoice: Sendable, Equatable {
        case chosen(ClusterPlan)
        case declined(String)
    }

    /// A place where decoding may start: its offset in the decompressed stream and in the file.
    public struct EntryPoint: Sendable, Equatable {
        public var decoded: Int64
        public var compressed: Int64
        public init(decoded: Int64, compressed: Int64) {
            self.decoded = decoded
            self.compressed = compressed
        }
    }

    /// Where decoding may start, in order, first the start: the gzip checkpoints (zstd frames
    /// and xz blocks belong here too). Empty for an index whose every entry is its own entry
    /// point (a plain tar: a sample entry by entry costs only what it reads).
    public var entryPoints: [EntryPoint] {
        checkpoints.map { EntryPoint(decoded: $0.decodedOffset, compressed: $0.compressedOffset) }
    }

    /// The index in `points` of the last entry point at or before decompressed `offset` (-1: none).
    static func lastPoint(atOrBefore offset: Int64, in points: [EntryPoint]) -> Int {
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid].decoded <= offset { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }

    /// A sample of `manifest` under `policy` as whole intervals between entry points; nil when
    /// the index has no intervals (a plain tar). `stripComponents`: as the check maps names.
    /// `coverage`: per manifest entry, as `CoverageSampling` takes it.
    public func clusterSample(
        of manifest: ManifestEntries, stripComponents: Int, sizes: [Int64], coverage: [CoverageRecord?]?, cycleStart: Double?,
        policy: SamplePolicy, seed: UInt64
    ) -> ClusterChoice? {
        let points = entryPoints
        guard !points.isEmpty, policy != .all, identity.size > 0 else { return nil }
        let placed = manifestPlaces(of: manifest, stripComponents: stripComponents)
        var members = Array(repeating: [Int](), count: points.count)
        var seen = Array(repeating: false, count: manifest.count)
        for (i, place) in placed.enumerated() {
            guard let m = place, !seen[m] else { continue }
            seen[m] = true
            members[max(Self.lastPoint(atOrBefore: entries[i].headerOffset, in: points), 0)].append(m)
        }
        let clusters = members.filter { !$0.isEmpty }
        let unplaced = manifest.indices.filter { !seen[$0] }
        let flags = ClusterSampling.choose(
            clusters: clusters, unplaced: unplaced, entries: manifest, sizes: sizes, coverage: coverage, cycleStart: cycleStart,
            policy: policy, seed: seed)
        let needed = placed.indices.map { i in placed[i].map { flags[$0] } ?? false || entries[i].type == .hardlink }
        let share = Double(estimatedRead(of: needed, points: points)) / Double(identity.size)
        let totalBytes = sizes.reduce(0, &+)
        let target = ClusterSampling.targetShare(policy, entries: manifest.count, totalBytes: totalBytes)
        let placedCount = manifest.count - unplaced.count
        let entryShare = Double(manifest.indices.filter { flags[$0] && seen[$0] }.count) / Double(max(placedCount, 1))
        let content = manifest.indices.reduce(Int64(0)) { flags[$1] && seen[$1] ? $0 &+ max(sizes[$1], 0) : $0 }
        let contentShare = totalBytes > 0 ? Double(content) / Double(totalBytes) : 1
        if let why = ClusterSampling.coarseness(read: share, entries: entryShare, content: contentShare, target: target) {
            return .declined("the index's intervals are too coarse: \(why); sample chosen entry by entry")
        }
        let taken = clusters.filter { $0.contains { flags[$0] } }.count
        return .chosen(ClusterPlan(flags: flags, intervalsTaken: taken, intervalCount: clusters.count, readShare: share))
    }

    /// Bytes of the file a read through the index inflates for the `needed` entries: from the
    /// checkpoint before each run of needed entries to where its last data ends, placed in the
    /// compressed file by interpolating between the checkpoints around it (`compressedSpan`
    /// counts to the next checkpoint: up to an interval too many per run, about twice the read
    /// of a 5% sample of whole intervals).
    func estimatedRead(of needed: [Bool], points: [EntryPoint]) -> Int64 {
        var total: Int64 = 0
        var covered: Int64 = 0
        for run in Self.runs(needed) {
            let first = entries[run.lowerBound]
            let last = entries[run.upperBound - 1]
            let end = last.dataOffset + ((last.size ?? 0) + 511) / 512 * 512
            let before = Self.lastPoint(atOrBefore: first.headerOffset, in: points)
            let start = max(before >= 0 ? points[before].compressed : 0, covered)
            let stop = compressedPosition(of: end, points: points)
            if stop > start { total += stop - start }
            covered = max(covered, stop)
        }
        return total
    }

    /// Where decompressed offset `offset` lies in the file, interpolated between entry points.
    func compressedPosition(of offset: Int64, points: [EntryPoint]) -> Int64 {
        let at = Self.lastPoint(atOrBefore: offset, in: points)
        guard at >= 0 else { return 0 }
        let before = points[at]
        let after = at + 1 < points.count ? points[at + 1] : EntryPoint(decoded: max(decodedSize, offset), compressed: identity.size)
        let span = after.decoded - before.decoded
        guard span > 0 else { return after.compressed }
        let fraction = Double(offset - before.decoded) / Double(span)
        return min(before.compressed + Int64(fraction * Double(after.compressed - before.compressed)), identity.size)
    }

    /// For each entry of the index, the manifest entry it is (as `ArchiveCheck` maps names), or nil.
    func manifestPlaces(of manifest: ManifestEntries, stripComponents: Int) -> [Int?] {
        let lookup = PathIndex(manifest)
        return entries.map { entry in
            guard let path = EntryPath(normalizing: entry.rawPath).strippingComponents(stripComponents) else { return nil }
            switch lookup.lookup(path) {
            case .exact(let i), .canonical(let i): return i
            case nil: return nil
            }
        }
    }
}
