/// Finds the manifest entry for an archive name: byte for byte first, then under Unicode
/// canonical equivalence (libarchive turns NFD names into NFC in pax, 7z and UTF-8 zip entries).
/// Two manifest names that are canonically equivalent are never merged: such names only match
/// byte for byte.
struct PathIndex {
    private let entries: ManifestEntries
    /// Swift's `String` compares and hashes by canonical equivalence; -1 marks an ambiguous key.
    /// Only names with non-ASCII bytes are here (ASCII has one canonical form).
    private var canonical: [String: Int] = [:]

    init(_ entries: ManifestEntries) {
        self.entries = entries
        for index in entries.indices {
            let nonASCII = entries.withPathBytes(at: index) { $0.contains(where: { $0 >= 0x80 }) }
            guard nonASCII, let text = entries.path(at: index).string else { continue }
            canonical[text] = canonical[text] == nil ? index : -1
        }
    }

    enum Match { case exact(Int), canonical(Int) }

    func lookup(_ path: EntryPath) -> Match? {
        if let index = entries.firstIndex(of: path) { return .exact(index) }
        guard !canonical.isEmpty, path.bytes.contains(where: { $0 >= 0x80 }), let text = path.string,
              let index = canonical[text], index >= 0 else { return nil }
        return .canonical(index)
    }
}
