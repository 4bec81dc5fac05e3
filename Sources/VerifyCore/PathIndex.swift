/// Finds the manifest entry for an archive name: byte for byte first, then under Unicode
/// canonical equivalence (libarchive turns NFD names into NFC in pax, 7z and UTF-8 zip entries).
/// Two manifest names that are canonically equivalent are never merged: such names only match
/// byte for byte.
struct PathIndex {
    private var exact: [EntryPath: Int]
    /// Swift's `String` compares and hashes by canonical equivalence; -1 marks an ambiguous key.
    private var canonical: [String: Int]

    init(_ paths: [EntryPath]) {
        exact = [EntryPath: Int](minimumCapacity: paths.count)
        canonical = [:]
        for (index, path) in paths.enumerated() {
            exact[path] = index
            if let text = path.string, text.utf8.contains(where: { $0 >= 0x80 }) {
                canonical[text] = canonical[text] == nil ? index : -1
            }
        }
    }

    enum Match { case exact(Int), canonical(Int) }

    func lookup(_ path: EntryPath) -> Match? {
        if let index = exact[path] { return .exact(index) }
        guard path.bytes.contains(where: { $0 >= 0x80 }), let text = path.string,
              let index = canonical[text], index >= 0 else { return nil }
        return .canonical(index)
    }
}
