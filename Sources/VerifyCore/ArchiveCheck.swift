/// Folds the entries of one archive into findings and a verdict, against an optional manifest.
///
/// It is an ``EntryVisitor``: a reader feeds it headers and content digests, in archive order.
/// Observations are kept per manifest entry and compared at ``finish(archiveDamage:)``, so hard
/// links can take their content from the entry that carries it, whichever order it comes in
/// (tar stores the data with the first name, cpio newc with the last).
public final class ArchiveCheck: EntryVisitor {
    /// Options that change what is checked.
    public struct Options: Sendable {
        public var stripComponents: Int
        /// Entries the manifest does not list are failures.
        public var strict: Bool
        /// Compare uid, gid, user and group names (off for files restored by a non-root user).
        public var compareOwnership: Bool
        public init(stripComponents: Int = 0, strict: Bool = false, compareOwnership: Bool = true) {
            self.stripComponents = stripComponents
            self.strict = strict
            self.compareOwnership = compareOwnership
        }
    }

    private struct Observation {
        var header: EntryHeader
        var hardlinkTarget: EntryPath?
        var content: EntryContent?
    }

    private let manifest: Manifest?
    private let options: Options
    private let selected: [Bool]
    private let index: PathIndex
    private let hashAlgorithmsForOthers: [DigestAlgorithm]
    private let readsEverything: Bool
    private var observations: [Observation?]
    private var claimedExactly: [Bool]
    /// The last entry that claimed a manifest entry only by normalisation (decided at
    /// `beginEntry`, since its end may not have come yet).
    private var canonicalClaimant: [Int: (EntryPath, EntryType)] = [:]
    /// Entries already reported by `checkpoint()`.
    private var reported: [Bool] = []
    private var others: [EntryPath: Observation] = [:]
    private var unexpected: [EntryPath] = []
    private var unexpectedCount = 0
    private var entriesSeen = 0
    private var entriesRead = 0
    private var contentBytes: Int64 = 0
    private var entryDamage: [Finding] = []
    private var encryptedEntries = 0

    /// What to do at `endEntry` with each entry begun and not yet ended, oldest first.
    private enum Pending {
        case manifest(Int, Observation)
        case other(EntryPath, Observation)
        case ignored
    }
    private var pending = FIFO<Pending>()

    /// - Parameters:
    ///   - manifest: what the archive should hold; nil checks integrity only (every entry read).
    ///   - sample: one flag per manifest entry, true for the entries to check; nil checks all.
    public init(manifest: Manifest?, sample: [Bool]? = nil, options: Options = Options()) {
        self.manifest = manifest
        self.options = options
        let entries = manifest?.entries ?? []
        self.selected = sample ?? Array(repeating: true, count: entries.count)
        precondition(selected.count == entries.count, "one sample flag per manifest entry")
        self.index = PathIndex(entries.map(\.path))
        self.observations = Array(repeating: nil, count: entries.count)
        self.claimedExactly = Array(repeating: false, count: entries.count)
        self.readsEverything = sample == nil || manifest == nil
        // With every entry read, entries outside the manifest are hashed too, so that hard links
        // to them can be resolved.
        let strongest = manifest?.algorithms.max()
        self.hashAlgorithmsForOthers = strongest.map { [$0] } ?? []
    }

    public func beginEntry(_ header: EntryHeader) -> ContentRequest {
        entriesSeen += 1
        guard let path = EntryPath(normalizing: header.rawPath).strippingComponents(options.stripComponents) else {
            pending.append(.ignored)
            return .skip
        }
        let hardlinkTarget = header.hardlinkTarget.flatMap {
            EntryPath(normalizing: $0).strippingComponents(options.stripComponents)
        }
        let observation = Observation(header: header, hardlinkTarget: hardlinkTarget, content: nil)
        guard manifest != nil else {
            pending.append(.other(path, observation))
            return .read([])  // every entry to its end, directories too, as `bsdtar -xO` does
        }
        switch index.lookup(path) {
        case .exact(let i):
            if !claimedExactly[i], let (oldPath, oldType) = canonicalClaimant[i] {
                // A name that only matched by normalisation gives way to the exact name.
                noteUnexpected(oldPath, oldType)
            }
            claimedExactly[i] = true
            return request(forManifestEntry: i, observation)
        case .canonical(let i) where !claimedExactly[i]:
            canonicalClaimant[i] = (EntryPath(normalizing: header.rawPath), header.type)
            return request(forManifestEntry: i, observation)
        default:
            noteUnexpected(path, header.type)
            pending.append(.other(path, observation))
            if readsEverything, header.type == .file || header.type == .hardlink {
                return .read(hashAlgorithmsForOthers)
            }
            return .skip
        }
    }

    private func request(forManifestEntry i: Int, _ observation: Observation) -> ContentRequest {
        pending.append(.manifest(i, observation))
        let type = observation.header.type
        guard type == .file || type == .hardlink else { return .skip }
        // cpio newc stores a hard-link group's data with its last name: that entry is read even
        // when it is not in the sample, so that a sampled earlier name can be checked.
        guard selected[i] || type == .hardlink && (observation.header.size ?? 0) > 0 else { return .skip }
        return .read(manifest!.entries[i].digests.map(\.algorithm))
    }

    private func noteUnexpected(_ path: EntryPath, _ type: EntryType) {
        guard type != .directory else { return }
        unexpectedCount += 1
        if unexpected.count < CheckResult.unexpectedListLimit { unexpected.append(path) }
    }

    public func endEntry(_ content: EntryContent?) {
        if let content {
            entriesRead += 1
            contentBytes += content.byteCount
        }
        switch pending.popFirst() {
        case .manifest(let i, var observation)?:
            observation.content = content
            observations[i] = observation
        case .other(let path, var observation)?:
            observation.content = content
            if let content { recordDamage(path, observation.header, content) }
            if manifest != nil, observation.content != nil || observation.hardlinkTarget != nil {
                others[path] = observation
            }
        case .ignored?, nil:
            break
        }
    }

    private func recordDamage(_ path: EntryPath, _ header: EntryHeader, _ content: EntryContent) {
        if content.encrypted {
            encryptedEntries += 1
        } else if let damage = content.damage {
            entryDamage.append(Finding(path: path, kind: .corruptArchive, actual: damage))
        } else if let declared = header.size, header.hardlinkTarget == nil, header.type == .file,
                  declared != content.byteCount {
            entryDamage.append(Finding(
                path: path, kind: .corruptArchive,
                expected: "\(declared) bytes (from the entry's header)", actual: "\(content.byteCount) bytes of data"))
        }
    }

    /// Selected manifest entries whose result is known and not yet reported by a checkpoint:
    /// each with whether it failed. Called on the reading thread between entries, so that a
    /// run cut short (budget, crash) keeps what it already proved.
    public func checkpoint() -> [EntryVerification] {
        guard let manifest else { return [] }
        if reported.isEmpty { reported = Array(repeating: false, count: manifest.entries.count) }
        let carriers = hardlinkCarriers()
        var results: [EntryVerification] = []
        for (i, entry) in manifest.entries.enumerated() where selected[i] && !reported[i] {
            guard let observation = observations[i] else { continue }
            var findings: [Finding] = []
            guard compare(entry, observation, carriers, into: &findings) else { continue }
            reported[i] = true
            let content = resolvedContent(observation, carriers)
            results.append(EntryVerification(
                path: entry.path, failed: !findings.isEmpty, digest: content?.digests.max { $0.algorithm < $1.algorithm },
                size: content?.byteCount))
        }
        return results
    }

    /// Ends the run.
    /// - Parameters:
    ///   - archiveDamage: why reading the archive stopped early, if it did.
    ///   - stoppedEarly: reading was stopped on purpose (a budget): selected entries not reached
    ///     are not verified this run, rather than missing.
    public func finish(archiveDamage: String?, stoppedEarly: Bool = false) -> CheckResult {
        var findings = [Finding]()
        var notVerified = [EntryPath]()
        var checked = 0
        if let manifest {
            let carriers = hardlinkCarriers()
            for (i, entry) in manifest.entries.enumerated() where selected[i] {
                checked += 1
                guard let observation = observations[i] else {
                    if stoppedEarly {
                        checked -= 1
                        notVerified.append(entry.path)
                        continue
                    }
                    findings.append(Finding(path: entry.path, kind: .missing, expected: "present", actual: "not in the archive"))
                    continue
                }
                if compare(entry, observation, carriers, into: &findings) == false {
                    checked -= 1
                    notVerified.append(entry.path)
                }
            }
        }
        findings += entryDamage
        if options.strict, !stoppedEarly {
            findings += unexpected.map { Finding(path: $0, kind: .unexpected, expected: "not in the archive", actual: "present") }
        }
        findings.sort { ($0.path ?? EntryPath("")) < ($1.path ?? EntryPath("")) }
        if let archiveDamage {
            findings.insert(Finding(path: nil, kind: .corruptArchive, actual: archiveDamage), at: 0)
        }
        var error: String?
        if encryptedEntries > 0 {
            error = "\(encryptedEntries) encrypted \(encryptedEntries == 1 ? "entry" : "entries") cannot be read without the key"
        }
        let verdict: Verdict = error != nil ? .error : findings.isEmpty ? .pass : .fail
        return CheckResult(
            verdict: verdict, findings: findings, unexpected: unexpected, unexpectedCount: unexpectedCount,
            error: error, entriesSeen: entriesSeen, selected: selected.lazy.filter { $0 }.count, checked: checked,
            notVerified: notVerified, entriesRead: entriesRead, contentBytes: contentBytes)
    }

    /// Compares one manifest entry with what the archive held. Returns false when its content
    /// could not be known this run (a hard link to an entry that was not read).
    private func compare(_ entry: ManifestEntry, _ observation: Observation, _ carriers: [EntryPath: EntryContent], into findings: inout [Finding]) -> Bool {
        let path = entry.path
        let header = observation.header
        let expectedType = entry.type ?? .file
        let actualType = header.type
        let isFileLike: (EntryType) -> Bool = { $0 == .file || $0 == .hardlink }
        guard expectedType == actualType || (isFileLike(expectedType) && isFileLike(actualType)) else {
            findings.append(Finding(path: path, kind: .typeMismatch, expected: expectedType.rawValue, actual: actualType.rawValue))
            return true
        }
        if let link = entry.linkTarget, link != (header.symlinkTarget ?? []) {
            findings.append(Finding(
                path: path, kind: .linkMismatch,
                expected: EntryPath(unnormalized: link).description, actual: EntryPath(unnormalized: header.symlinkTarget ?? []).description))
        }
        compareMetadata(entry, header, into: &findings)
        guard isFileLike(actualType) else { return true }

        let content = resolvedContent(observation, carriers)
        if let content, content.encrypted {
            encryptedEntries += 1
            return true
        }
        if let damage = content?.damage {
            findings.append(Finding(path: path, kind: .corruptArchive, actual: damage))
            return true
        }
        if let own = observation.content, header.hardlinkTarget == nil,
           let declared = header.size, declared != own.byteCount {
            findings.append(Finding(
                path: path, kind: .corruptArchive,
                expected: "\(declared) bytes (from the entry's header)", actual: "\(own.byteCount) bytes of data"))
            return true
        }
        let actualSize = content?.byteCount ?? header.size
        if let expected = entry.size, let actualSize, expected != actualSize {
            findings.append(Finding(path: path, kind: .sizeMismatch, expected: "\(expected) bytes", actual: "\(actualSize) bytes"))
            return true
        }
        guard entry.needsContent else { return true }
        guard let content else { return false }
        for expected in entry.digests {
            guard let actual = content.digests.first(where: { $0.algorithm == expected.algorithm }) else { return false }
            if actual != expected {
                findings.append(Finding(
                    path: path, kind: .contentMismatch,
                    expected: "\(expected.algorithm.rawValue) \(expected.hex)",
                    actual: "\(actual.algorithm.rawValue) \(actual.hex) (\(content.byteCount) bytes)"))
                return true
            }
        }
        return true
    }

    private func compareMetadata(_ entry: ManifestEntry, _ header: EntryHeader, into findings: inout [Finding]) {
        func mismatch(_ key: String, _ expected: String, _ actual: String?) {
            findings.append(Finding(path: entry.path, kind: .metadataMismatch, expected: "\(key)=\(expected)", actual: "\(key)=\(actual ?? "(not recorded)")"))
        }
        let octal: (UInt32) -> String = { String($0, radix: 8).leftPadded(to: 4) }
        if let mode = entry.mode, header.mode.map({ $0 & 0o7777 }) != mode {
            mismatch("mode", octal(mode), header.mode.map { octal($0 & 0o7777) })
        }
        if options.compareOwnership {
            if let uid = entry.uid, header.uid != uid { mismatch("uid", "\(uid)", header.uid.map { "\($0)" }) }
            if let gid = entry.gid, header.gid != gid { mismatch("gid", "\(gid)", header.gid.map { "\($0)" }) }
            if let user = entry.userName, let actual = header.userName, user != actual { mismatch("uname", user, actual) }
            if let group = entry.groupName, let actual = header.groupName, group != actual { mismatch("gname", group, actual) }
        }
        if let mtime = entry.mtime, header.mtime != mtime { mismatch("time", "\(mtime)", header.mtime.map { "\($0)" }) }
    }

    /// For each hard-link group (named by the entry the others link to), the one copy of the
    /// data the archive stored: with the first name in tar, with the last in cpio newc.
    private func hardlinkCarriers() -> [EntryPath: EntryContent] {
        var carriers = [EntryPath: EntryContent]()
        var members = [(EntryPath, EntryContent?)]()
        for observation in observations.lazy.compactMap({ $0 }) + Array(others.values) {
            if let root = observation.hardlinkTarget { members.append((root, observation.content)) }
        }
        func offer(_ root: EntryPath, _ content: EntryContent?) {
            guard carriers[root] == nil, let content, content.byteCount > 0 || content.damage != nil || content.encrypted else { return }
            carriers[root] = content
        }
        for (root, _) in members { offer(root, lookupObservation(root)?.content) }
        for (root, content) in members { offer(root, content) }
        return carriers
    }

    /// The content of a file-like entry, following hard links.
    private func resolvedContent(_ observation: Observation, _ carriers: [EntryPath: EntryContent]) -> EntryContent? {
        if let own = observation.content, own.byteCount > 0 || own.damage != nil || own.encrypted { return own }
        let root = observation.hardlinkTarget ?? EntryPath(normalizing: observation.header.rawPath)
            .strippingComponents(options.stripComponents)
        if let root, let carried = carriers[root] { return carried }
        if let own = observation.content { return own }
        return root.flatMap { lookupObservation($0)?.content }
    }

    private func lookupObservation(_ path: EntryPath) -> Observation? {
        switch index.lookup(path) {
        case .exact(let i), .canonical(let i): observations[i] ?? others[path]
        case nil: others[path]
        }
    }
}


/// One manifest entry as a run verified it: whether it failed, and what the archive held.
public struct EntryVerification: Sendable, Equatable {
    public var path: EntryPath
    public var failed: Bool
    /// The content's digest as read (the strongest the manifest asked for).
    public var digest: Digest?
    public var size: Int64?

    public init(path: EntryPath, failed: Bool, digest: Digest? = nil, size: Int64? = nil) {
        self.path = path
        self.failed = failed
        self.digest = digest
        self.size = size
    }
}
