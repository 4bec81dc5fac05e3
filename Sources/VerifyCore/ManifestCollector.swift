/// Describes every entry of an archive as a manifest entry, hashing file content: the visitor
/// behind `verifyctl manifest create ARCHIVE`. Hard links get the content of their group.
public final class ManifestCollector: EntryVisitor {
    private let algorithm: DigestAlgorithm
    private var entries: [ManifestEntry] = []
    /// Entries begun and not yet ended, oldest first, with their hard-link targets.
    private var begun = FIFO<(ManifestEntry, EntryPath?)?>()
    private var hardlinkTargets: [Int: EntryPath] = [:]
    /// Entries whose data could not be read, with why.
    public private(set) var damaged: [(EntryPath, String)] = []

    public init(algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
    }

    public func beginEntry(_ header: EntryHeader) -> ContentRequest {
        let path = EntryPath(normalizing: header.rawPath)
        guard !path.bytes.isEmpty else { begun.append(nil); return .skip }
        var entry = ManifestEntry(
            path: path, type: header.type == .hardlink ? .file : header.type, size: nil, mode: header.mode,
            uid: header.uid, gid: header.gid, userName: header.userName, groupName: header.groupName, mtime: header.mtime)
        if header.type == .symlink { entry.linkTarget = header.symlinkTarget }
        begun.append((entry, header.hardlinkTarget.map { EntryPath(normalizing: $0) }))
        return header.type == .file || header.type == .hardlink ? .read([algorithm]) : .skip
    }

    public func endEntry(_ content: EntryContent?) {
        guard case (var entry, let hardlinkTarget)?? = begun.popFirst() else { return }
        if let content {
            if let damage = content.damage {
                damaged.append((entry.path, damage))
                return
            }
            entry.size = content.byteCount
            entry.digests = content.digests
        }
        if let hardlinkTarget { hardlinkTargets[entries.count] = hardlinkTarget }
        entries.append(entry)
    }

    /// The entries, hard links resolved; the last of several entries of one name wins.
    public func finish() -> [ManifestEntry] {
        var byPath = [EntryPath: Int]()
        for (index, entry) in entries.enumerated() { byPath[entry.path] = index }
        // The group's data: with the target (tar) or with a later link (cpio newc).
        var carrier = [EntryPath: (Int64, [Digest])]()
        for (index, target) in hardlinkTargets.sorted(by: { $0.key < $1.key }) {
            if let t = byPath[target], let size = entries[t].size, size > 0, carrier[target] == nil {
                carrier[target] = (size, entries[t].digests)
            }
            if let size = entries[index].size, size > 0, carrier[target] == nil {
                carrier[target] = (size, entries[index].digests)
            }
        }
        for (index, target) in hardlinkTargets {
            guard let (size, digests) = carrier[target] else { continue }
            if entries[index].size ?? 0 == 0 { entries[index].size = size; entries[index].digests = digests }
            if let t = byPath[target], entries[t].size ?? 0 == 0 { entries[t].size = size; entries[t].digests = digests }
        }
        return byPath.values.sorted().map { entries[$0] }
    }
}
