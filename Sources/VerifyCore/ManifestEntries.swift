/// The entries of a manifest, packed: every name in one byte buffer, every digest in another,
/// metadata in a side table only for the entries that have any, and a hash table of names.
///
/// A manifest of a million entries is a million names and digests; held as a million
/// `ManifestEntry` values (two heap arrays and 150 bytes of optionals each) it took 340 MB.
/// Packed, a `sha256sum` list costs about its own size plus 20 bytes an entry.
/// Reading an element builds the `ManifestEntry`; the accessors (`path(at:)`, `size(at:)`,
/// `digestAlgorithms(at:)`…) read one field without building the rest.
public struct ManifestEntries: RandomAccessCollection, Sendable, Equatable {
    private var pathBytes: [UInt8] = []
    /// Entry `i`'s name is `pathBytes[pathStarts[i] ..< pathStarts[i + 1]]`.
    private var pathStarts: [Int] = [0]
    /// Each digest is one byte naming the algorithm, then its bytes.
    private var digestBytes: [UInt8] = []
    private var digestStarts: [Int] = [0]
    private var lines: [Int32] = []
    /// Index into `details`, or -1 for an entry with none (as in every checksum list).
    private var detailIndex: [Int32] = []
    private var details: [Details] = []
    private var table = NameTable()

    /// What a manifest may say of an entry besides its name and digests.
    private struct Details: Sendable {
        var type: EntryType?
        var size: Int64?
        var linkTarget: [UInt8]?
        var mode: UInt32?
        var uid: Int64?
        var gid: Int64?
        var userName: String?
        var groupName: String?
        var mtime: Int64?

        init(_ entry: ManifestEntry) {
            type = entry.type
            size = entry.size
            linkTarget = entry.linkTarget
            mode = entry.mode
            uid = entry.uid
            gid = entry.gid
            userName = entry.userName
            groupName = entry.groupName
            mtime = entry.mtime
        }

        var isEmpty: Bool {
            type == nil && size == nil && linkTarget == nil && mode == nil && uid == nil && gid == nil
                && userName == nil && groupName == nil && mtime == nil
        }
    }

    public init() {}

    /// Packs these entries. A name listed twice finds the later entry (``firstIndex(of:)``).
    public init(_ entries: some Sequence<ManifestEntry>) {
        for entry in entries { append(entry) }
    }

    /// Entries that are only names (for sampling a list of names).
    public init(names: [EntryPath]) {
        self.init(names.lazy.map { ManifestEntry(path: $0) })
    }

    public static func == (lhs: ManifestEntries, rhs: ManifestEntries) -> Bool {
        lhs.count == rhs.count && lhs.indices.allSatisfy { lhs[$0] == rhs[$0] }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { lines.count }

    public subscript(position: Int) -> ManifestEntry {
        let details = detailIndex[position] >= 0 ? self.details[Int(detailIndex[position])] : nil
        return ManifestEntry(
            path: path(at: position), type: details?.type, size: details?.size, digests: digests(at: position),
            linkTarget: details?.linkTarget, mode: details?.mode, uid: details?.uid, gid: details?.gid,
            userName: details?.userName, groupName: details?.groupName, mtime: details?.mtime,
            line: Int(lines[position]))
    }

    /// Adds an entry at the end; its name must already be normalised. Returns its index.
    @discardableResult
    public mutating func append(_ entry: ManifestEntry) -> Int {
        append(entry, hash: entry.path.bytes.withUnsafeBufferPointer { NameTable.hash($0) })
        return count - 1
    }

    /// Adds the entry unless an entry of the same name is listed: then returns that one's index.
    public mutating func appendUnlessListed(_ entry: ManifestEntry) -> Int? {
        let hash = entry.path.bytes.withUnsafeBufferPointer { NameTable.hash($0) }
        if let existing = entry.path.bytes.withUnsafeBufferPointer({ index(named: $0, hash: hash) }) {
            return existing
        }
        append(entry, hash: hash)
        return nil
    }

    /// Adds a checksum list's entry straight from the list's bytes, without building a
    /// `ManifestEntry`: a name already normalised and one digest in hex. Adds nothing and returns
    /// false when the name is listed already or a digit is not hex (the caller then takes the
    /// long way, which compares the two entries or says what is wrong).
    mutating func appendChecksum(
        name: UnsafeBufferPointer<UInt8>, algorithm: DigestAlgorithm, hex: UnsafeBufferPointer<UInt8>, line: Int
    ) -> Bool {
        let hash = NameTable.hash(name)
        guard index(named: name, hash: hash) == nil else { return false }
        digestBytes.append(algorithm.code)
        guard Hex.decode(hex, appendingTo: &digestBytes) else {
            digestBytes.removeLast()
            return false
        }
        pathBytes.append(contentsOf: name)
        pathStarts.append(pathBytes.count)
        digestStarts.append(digestBytes.count)
        finishAppend(line: line, detail: -1, hash: hash)
        return true
    }

    private mutating func append(_ entry: ManifestEntry, hash: Int) {
        pathBytes.append(contentsOf: entry.path.bytes)
        pathStarts.append(pathBytes.count)
        for digest in entry.digests {
            digestBytes.append(digest.algorithm.code)
            digestBytes.append(contentsOf: digest.bytes)
        }
        digestStarts.append(digestBytes.count)
        let details = Details(entry)
        var detail: Int32 = -1
        if !details.isEmpty {
            detail = Int32(self.details.count)
            self.details.append(details)
        }
        finishAppend(line: entry.line, detail: detail, hash: hash)
    }

    /// Ends an append whose name and digests are stored: its line, its details' place, and its
    /// name filed in the table.
    private mutating func finishAppend(line: Int, detail: Int32, hash: Int) {
        let index = lines.count
        lines.append(Int32(clamping: line))
        detailIndex.append(detail)
        var table = NameTable()
        swap(&table, &self.table)  // moved out, not copied, while the closure reads `self`
        table.insert(index, hash: hash, count: index + 1) { self.pathEquals(at: $0, index) }
        swap(&table, &self.table)
    }

    /// The entry with this name, byte for byte (the last one, if listed twice).
    private func index(named name: UnsafeBufferPointer<UInt8>, hash: Int) -> Int? {
        table.find(hash: hash) { candidate in withPathBytes(at: candidate) { NameTable.same($0, name) } }
    }

    /// Makes room for `entries` more entries with this many bytes of names and digests in all.
    public mutating func reserveCapacity(entries: Int, pathBytes: Int, digestBytes: Int) {
        let total = count + entries
        self.pathBytes.reserveCapacity(self.pathBytes.count + pathBytes)
        self.digestBytes.reserveCapacity(self.digestBytes.count + digestBytes)
        pathStarts.reserveCapacity(total + 1)
        digestStarts.reserveCapacity(total + 1)
        lines.reserveCapacity(total)
        detailIndex.reserveCapacity(total)
        table.reserveCapacity(total)
    }

    /// Some entry records a link target, mode, owner or time (not only a type, size or digests).
    public var recordsMetadata: Bool {
        details.contains {
            $0.linkTarget != nil || $0.mode != nil || $0.uid != nil || $0.gid != nil || $0.userName != nil
                || $0.groupName != nil || $0.mtime != nil
        }
    }

    /// Bytes of packed digests (an algorithm byte and the digest, per digest).
    public var digestByteCount: Int { digestBytes.count }

    // MARK: Fields of one entry

    /// The entry's name.
    public func path(at index: Int) -> EntryPath {
        EntryPath(unnormalized: Array(pathBytes[pathStarts[index]..<pathStarts[index + 1]]))
    }

    /// Calls `body` with the bytes of the entry's name, without copying them.
    public func withPathBytes<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try pathBytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[pathStarts[index]..<pathStarts[index + 1]]))
        }
    }

    public func digests(at index: Int) -> [Digest] {
        var out: [Digest] = []
        var offset = digestStarts[index]
        while offset < digestStarts[index + 1] {
            let algorithm = DigestAlgorithm(code: digestBytes[offset])
            let end = offset + 1 + algorithm.byteLength
            out.append(Digest(algorithm: algorithm, bytes: Array(digestBytes[(offset + 1)..<end])))
            offset = end
        }
        return out
    }

    /// The algorithms any entry names (read from the packed digests, nothing built per entry).
    public var algorithms: Set<DigestAlgorithm> {
        var seen = [Bool](repeating: false, count: DigestAlgorithm.allCases.count)
        var offset = 0
        while offset < digestBytes.count {
            let algorithm = DigestAlgorithm(code: digestBytes[offset])
            seen[Int(digestBytes[offset])] = true
            offset += 1 + algorithm.byteLength
        }
        return Set(DigestAlgorithm.allCases.filter { seen[Int($0.code)] })
    }

    /// The algorithms of the entry's digests, in the manifest's order.
    public func digestAlgorithms(at index: Int) -> [DigestAlgorithm] {
        var out: [DigestAlgorithm] = []
        var offset = digestStarts[index]
        while offset < digestStarts[index + 1] {
            let algorithm = DigestAlgorithm(code: digestBytes[offset])
            out.append(algorithm)
            offset += 1 + algorithm.byteLength
        }
        return out
    }

    /// Whether reading the entry's content is needed to check it (it lists a digest).
    public func needsContent(at index: Int) -> Bool { digestStarts[index + 1] > digestStarts[index] }

    public func size(at index: Int) -> Int64? {
        detailIndex[index] >= 0 ? details[Int(detailIndex[index])].size : nil
    }

    public func type(at index: Int) -> EntryType? {
        detailIndex[index] >= 0 ? details[Int(detailIndex[index])].type : nil
    }

    /// The sum of the entries' sizes, when every entry has one.
    public var totalSize: Int64? {
        var total: Int64 = 0
        for index in indices {
            guard let size = size(at: index) else { return nil }
            total &+= size
        }
        return total
    }

    public func line(at index: Int) -> Int { Int(lines[index]) }

    /// Whether the manifest says more of the entry than its name and digests.
    public func hasDetails(at index: Int) -> Bool { detailIndex[index] >= 0 }


    // MARK: Lookup by name

    /// The index of the entry with this name, byte for byte (the last one, if listed twice).
    public func firstIndex(of path: EntryPath) -> Int? {
        path.bytes.withUnsafeBufferPointer { index(named: $0, hash: NameTable.hash($0)) }
    }

    /// Whether entry `a`'s name sorts before entry `b`'s, byte by byte.
    public func pathPrecedes(_ a: Int, _ b: Int) -> Bool {
        pathBytes[pathStarts[a]..<pathStarts[a + 1]].lexicographicallyPrecedes(pathBytes[pathStarts[b]..<pathStarts[b + 1]])
    }

    private func pathEquals(at a: Int, _ b: Int) -> Bool {
        pathBytes[pathStarts[a]..<pathStarts[a + 1]].elementsEqual(pathBytes[pathStarts[b]..<pathStarts[b + 1]])
    }
}

/// An open-addressing hash table of entry indices (8 bytes a slot, at most half full), whose
/// keys live elsewhere: the caller compares them.
///
/// A slot holds the index plus one (0: empty) in its low half and the low 32 bits of the key's
/// hash in its high half: one memory access finds both (two arrays cost two cache misses a
/// probe, a third of a walk over 16,000 entries).
struct NameTable: Sendable {
    private var slots: [UInt64] = []

    mutating func reserveCapacity(_ count: Int) {
        var size = max(16, slots.count)
        while count * 2 > size { size *= 2 }
        if size > slots.count { grow(to: size) }
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        return hasher.finalize()
    }

    /// Whether two names are the same bytes, compared eight at a time (a generic
    /// `elementsEqual` goes byte by byte through an iterator).
    @inline(__always)
    static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        let left = UnsafeRawBufferPointer(a), right = UnsafeRawBufferPointer(b)
        var offset = 0
        while offset + 8 <= left.count {
            if left.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != right.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                return false
            }
            offset += 8
        }
        while offset < left.count {
            if left[offset] != right[offset] { return false }
            offset += 1
        }
        return true
    }

    @inline(__always)
    private static func slot(_ index: Int, _ hash: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: hash)) << 32 | UInt64(UInt32(index + 1))
    }

    /// Adds `index`, or puts it in place of an equal key (`isEqual(existing)`).
    mutating func insert(_ index: Int, hash: Int, count: Int, isEqual: (Int) -> Bool) {
        if count * 2 > slots.count { grow(to: max(16, slots.count * 2)) }
        slots[probe(hash, isEqual).place] = Self.slot(index, hash)
    }

    func find(hash: Int, isEqual: (Int) -> Bool) -> Int? {
        guard !slots.isEmpty else { return nil }
        let (place, found) = probe(hash, isEqual)
        return found ? Int(slots[place] & 0xFFFF_FFFF) - 1 : nil
    }

    /// The slot of the key `isEqual` accepts, or the empty slot where it would go.
    @inline(__always)
    private func probe(_ hash: Int, _ isEqual: (Int) -> Bool) -> (place: Int, found: Bool) {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            let tag = UInt64(UInt32(truncatingIfNeeded: hash)) << 32
            var place = hash & mask
            while slots[place] != 0 {
                let occupant = slots[place]
                if occupant & 0xFFFF_FFFF_0000_0000 == tag, isEqual(Int(occupant & 0xFFFF_FFFF) - 1) { return (place, true) }
                place = (place + 1) & mask
            }
            return (place, false)
        }
    }

    /// Rehashing needs each key's full hash, which only its low 32 bits are kept of: a slot's
    /// new place is found from those bits, which is enough while the table has under 2^32 slots.
    private mutating func grow(to size: Int) {
        let old = slots
        slots = Array(repeating: 0, count: size)
        for occupant in old where occupant != 0 {
            var place = Int(occupant >> 32) & (size - 1)
            while slots[place] != 0 { place = (place + 1) & (size - 1) }
            slots[place] = occupant
        }
    }
}

extension DigestAlgorithm {
    /// Length of the digest in bytes.
    public var byteLength: Int { hexLength / 2 }
}
