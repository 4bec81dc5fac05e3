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

    /// What the archive held for one manifest entry, kept small: a run over a million entries
    /// holds a million of these until ``finish(archiveDamage:stoppedEarly:)``. The rare parts
    /// (findings from the header, hard-link targets, damage) live in side tables by entry.
    private struct Observation {
        /// The size the header declares, or -1.
        private var declared: Int64
        /// Bytes of content read, or -1 when the data was skipped.
        private var read: Int64
        /// Where the content's digests start in `digestArena`, or -1 for none.
        var digests: Int
        var type: EntryType
        /// The header names a hard-link target (even one that `--strip-components` removes).
        var isHardlink: Bool
        var encrypted: Bool

        init(type: EntryType, declaredSize: Int64?, isHardlink: Bool, byteCount: Int64?, encrypted: Bool, digests: Int) {
            self.declared = declaredSize.map { max($0, 0) } ?? -1
            self.read = byteCount ?? -1
            self.digests = digests
            self.type = type
            self.isHardlink = isHardlink
            self.encrypted = encrypted
        }

        var declaredSize: Int64? { declared >= 0 ? declared : nil }
        var byteCount: Int64? { read >= 0 ? read : nil }
    }

    /// What `beginEntry` learned of an entry that matched a manifest entry, until its end.
    private struct Begun {
        var index: Int
        var type: EntryType
        var declaredSize: Int64?
        var isHardlink: Bool
        var hardlinkTarget: EntryPath?
        /// The archive's own name, when it matched only by normalisation.
        var archivePath: EntryPath?
        var headerCheck: HeaderCheck?
    }

    /// What the header alone says against the manifest entry.
    private struct HeaderCheck {
        var findings: [Finding]
        /// The types differ: nothing more is compared.
        var typeMismatch: Bool
    }

    /// An entry the manifest does not list (kept whole: there are few of these).
    private struct OtherEntry {
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
    /// For each manifest entry, its place in `observations`, or -1.
    private var observationIndex: [Int32]
    private var observations: [Observation] = []
    /// Each observation's digests: a count byte, then per digest an algorithm code and its bytes.
    private var digestArena: [UInt8] = []
    private var headerChecks: [Int: HeaderCheck] = [:]
    private var hardlinkTargets: [Int: EntryPath] = [:]
    private var archivePaths: [Int: EntryPath] = [:]
    private var damages: [Int: String] = [:]
    private var claimedExactly: [Bool]
    /// The last entry that claimed a manifest entry only by normalisation (decided at
    /// `beginEntry`, since its end may not have come yet).
    private var canonicalClaimant: [Int: (EntryPath, EntryType)] = [:]
    /// Entries already reported by `checkpoint()`, and those observed since (to look at next).
    private var reported: [Bool] = []
    private var observedSinceCheckpoint: [Int32] = []
    private var others: [EntryPath: OtherEntry] = [:]
    private var unexpected: [EntryPath] = []
    private var unexpectedCount = 0
    private var entriesSeen = 0
    private var entriesRead = 0
    private var contentBytes: Int64 = 0
    private var entryDamage: [Finding] = []
    private var encryptedEntries = 0

    /// What to do at `endEntry` with each entry begun and not yet ended, oldest first.
    private enum Pending {
        case manifest(Begun)
        case other(EntryPath, OtherEntry)
        case ignored
    }
    private var pending = FIFO<Pending>()

    /// - Parameters:
    ///   - manifest: what the archive should hold; nil checks integrity only (every entry read).
    ///   - sample: one flag per manifest entry, true for the entries to check; nil checks all.
    public init(manifest: Manifest?, sample: [Bool]? = nil, options: Options = Options()) {
        self.manifest = manifest
        self.options = options
        let entries = manifest?.entries ?? ManifestEntries()
        self.selected = sample ?? Array(repeating: true, count: entries.count)
        precondition(selected.count == entries.count, "one sample flag per manifest entry")
        self.index = PathIndex(entries)
        self.observationIndex = Array(repeating: -1, count: entries.count)
        self.claimedExactly = Array(repeating: false, count: entries.count)
        self.readsEverything = sample == nil || manifest == nil
        // Room for what a run will see, up front: growing by doubling held the old and the new
        // array at once, three times what a million entries need.
        let expected = sample.map { $0.lazy.filter { $0 }.count } ?? entries.count
        observations.reserveCapacity(expected)
        if let manifest, !manifest.entries.isEmpty {
            digestArena.reserveCapacity(expected * (1 + manifest.entries.digestByteCount / manifest.entries.count))
        }
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
        guard manifest != nil else {
            pending.append(.other(path, OtherEntry(header: header, hardlinkTarget: hardlinkTarget)))
            return .read([])  // every entry to its end, directories too, as `bsdtar -xO` does
        }
        switch index.lookup(path) {
        case .exact(let i):
            if !claimedExactly[i], let (oldPath, oldType) = canonicalClaimant[i] {
                // A name that only matched by normalisation gives way to the exact name.
                noteUnexpected(oldPath, oldType)
            }
            claimedExactly[i] = true
            return request(forManifestEntry: i, header, hardlinkTarget: hardlinkTarget, archivePath: nil)
        case .canonical(let i) where !claimedExactly[i]:
            canonicalClaimant[i] = (EntryPath(normalizing: header.rawPath), header.type)
            return request(forManifestEntry: i, header, hardlinkTarget: hardlinkTarget, archivePath: path)
        default:
            noteUnexpected(path, header.type)
            pending.append(.other(path, OtherEntry(header: header, hardlinkTarget: hardlinkTarget)))
            if readsEverything, header.type == .file || header.type == .hardlink {
                return .read(hashAlgorithmsForOthers)
            }
            return .skip
        }
    }

    /// Whether the entry needs its own header: only the sampled manifest entries and hard links
    /// do (the same test `beginEntry` makes before it skips an entry and keeps nothing of it
    /// but its name and type). Every entry does when every entry is read.
    public func needsEntry(rawPath: [UInt8], type: EntryType) -> Bool {
        guard manifest != nil, !readsEverything else { return true }
        guard let path = EntryPath(normalizing: rawPath).strippingComponents(options.stripComponents) else { return false }
        switch index.lookup(path) {
        case .exact(let i), .canonical(let i): return selected[i] || type == .hardlink
        case nil: return false
        }
    }

    private func request(
        forManifestEntry i: Int, _ header: EntryHeader, hardlinkTarget: EntryPath?, archivePath: EntryPath?
    ) -> ContentRequest {
        // An entry outside the sample is not compared, and its data is not read: nothing of it
        // is kept (a sample of 5% skips the other 95% at the cost of a lookup). Hard links are
        // kept: cpio newc's last name carries the data of sampled earlier names.
        if !selected[i], header.hardlinkTarget == nil, header.type != .hardlink {
            pending.append(.ignored)
            return .skip
        }
        pending.append(.manifest(Begun(
            index: i, type: header.type, declaredSize: header.size, isHardlink: header.hardlinkTarget != nil,
            hardlinkTarget: hardlinkTarget, archivePath: archivePath, headerCheck: checkHeader(i, header))))
        let type = header.type
        guard type == .file || type == .hardlink else { return .skip }
        // cpio newc stores a hard-link group's data with its last name: that entry is read even
        // when it is not in the sample, so that a sampled earlier name can be checked.
        guard selected[i] || type == .hardlink && (header.size ?? 0) > 0 else { return .skip }
        return .read(manifest!.entries.digestAlgorithms(at: i))
    }

    private func noteUnexpected(_ path: EntryPath, _ type: EntryType) {
        guard type != .directory else { return }
        unexpectedCount += 1
        // Under --strict every one is a failure, so every one is kept; otherwise a list for
        // people is enough.
        if options.strict || unexpected.count < CheckResult.unexpectedListLimit { unexpected.append(path) }
    }

    public func endEntry(_ content: EntryContent?) {
        if let content {
            entriesRead += 1
            contentBytes += content.byteCount
        }
        switch pending.popFirst() {
        case .manifest(let begun)?:
            record(begun, content)
        case .other(let path, var other)?:
            other.content = content
            if let content { recordDamage(path, other.header, content) }
            if manifest != nil, other.content != nil || other.hardlinkTarget != nil {
                others[path] = other
            }
        case .ignored?, nil:
            break
        }
    }

    /// Keeps what the archive held for manifest entry `begun.index`, in place of what an
    /// earlier entry of the same name left.
    private func record(_ begun: Begun, _ content: EntryContent?) {
        let i = begun.index
        var digests = digestArena.count
        if let content {
            if content.digests.isEmpty {
                digests = -1
            } else {
                digestArena.append(UInt8(content.digests.count))
                for digest in content.digests {
                    digestArena.append(digest.algorithm.code)
                    digestArena.append(contentsOf: digest.bytes)
                }
            }
        }
        let observation = Observation(
            type: begun.type, declaredSize: begun.declaredSize, isHardlink: begun.isHardlink, byteCount: content?.byteCount,
            encrypted: content?.encrypted ?? false, digests: digests)
        let replacing = observationIndex[i] >= 0
        if replacing {
            observations[Int(observationIndex[i])] = observation
        } else {
            observationIndex[i] = Int32(observations.count)
            observations.append(observation)
        }
        // The side tables are touched only for what they hold (or may hold, for an entry seen
        // before): nearly every entry has nothing in them.
        func keep<Value>(_ value: Value?, in table: inout [Int: Value]) {
            if replacing || value != nil { table[i] = value }
        }
        keep(begun.headerCheck, in: &headerChecks)
        keep(begun.hardlinkTarget, in: &hardlinkTargets)
        keep(begun.archivePath, in: &archivePaths)
        keep(content?.damage, in: &damages)
        if selected[i] { observedSinceCheckpoint.append(Int32(i)) }
    }

    /// The content read for manifest entry `i`, when it was read.
    private func ownContent(_ i: Int) -> EntryContent? {
        guard observationIndex[i] >= 0 else { return nil }
        let observation = observations[Int(observationIndex[i])]
        guard let byteCount = observation.byteCount else { return nil }
        var digests: [Digest] = []
        if observation.digests >= 0 {
            var offset = observation.digests + 1
            for _ in 0..<Int(digestArena[observation.digests]) {
                let algorithm = DigestAlgorithm(code: digestArena[offset])
                let end = offset + 1 + algorithm.byteLength
                digests.append(Digest(algorithm: algorithm, bytes: Array(digestArena[(offset + 1)..<end])))
                offset = end
            }
        }
        return EntryContent(digests: digests, byteCount: byteCount, damage: damages[i], encrypted: observation.encrypted)
    }

    /// Compares what the header says with manifest entry `i` (type, link target, metadata);
    /// nil when all agree.
    private func checkHeader(_ i: Int, _ header: EntryHeader) -> HeaderCheck? {
        let entries = manifest!.entries
        let expectedType = entries.type(at: i) ?? .file
        let isFileLike: (EntryType) -> Bool = { $0 == .file || $0 == .hardlink }
        guard expectedType == header.type || (isFileLike(expectedType) && isFileLike(header.type)) else {
            return HeaderCheck(
                findings: [Finding(path: entries.path(at: i), kind: .typeMismatch, expected: expectedType.rawValue, actual: header.type.rawValue)],
                typeMismatch: true)
        }
        guard entries.hasDetails(at: i) else { return nil }
        let entry = entries[i]
        var findings: [Finding] = []
        if let link = entry.linkTarget, link != (header.symlinkTarget ?? []) {
            findings.append(Finding(
                path: entry.path, kind: .linkMismatch,
                expected: EntryPath(unnormalized: link).description, actual: EntryPath(unnormalized: header.symlinkTarget ?? []).description))
        }
        compareMetadata(entry, header, into: &findings)
        return findings.isEmpty ? nil : HeaderCheck(findings: findings, typeMismatch: false)
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
        guard manifest != nil else { return [] }
        if reported.isEmpty { reported = Array(repeating: false, count: observationIndex.count) }
        let carriers = hardlinkCarriers()
        var results: [EntryVerification] = []
        var undecided: [Int32] = []
        for i in Set(observedSinceCheckpoint).sorted().map(Int.init) where !reported[i] {
            var findings: [Finding] = []
            guard compare(i, carriers, into: &findings) else {
                undecided.append(Int32(i))
                continue
            }
            reported[i] = true
            let content = resolvedContent(i, carriers)
            results.append(EntryVerification(
                path: manifest!.entries.path(at: i), failed: !findings.isEmpty,
                digest: content?.digests.max { $0.algorithm < $1.algorithm }, size: content?.byteCount))
        }
        observedSinceCheckpoint = undecided
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
            for i in manifest.entries.indices where selected[i] {
                checked += 1
                guard observationIndex[i] >= 0 else {
                    if stoppedEarly {
                        checked -= 1
                        notVerified.append(manifest.entries.path(at: i))
                        continue
                    }
                    findings.append(Finding(
                        path: manifest.entries.path(at: i), kind: .missing, expected: "present",
                        actual: archiveDamage == nil ? "not in the archive" : "not in the part of the archive that could be read"))
                    continue
                }
                if compare(i, carriers, into: &findings) == false {
                    checked -= 1
                    notVerified.append(manifest.entries.path(at: i))
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
            verdict: verdict, findings: findings, unexpected: Array(unexpected.prefix(CheckResult.unexpectedListLimit)),
            unexpectedCount: unexpectedCount,
            error: error, entriesSeen: entriesSeen, selected: selected.lazy.filter { $0 }.count, checked: checked,
            notVerified: notVerified, entriesRead: entriesRead, contentBytes: contentBytes)
    }

    /// Compares manifest entry `i` with what the archive held. Returns false when its content
    /// could not be known this run (a hard link to an entry that was not read).
    private func compare(_ i: Int, _ carriers: [EntryPath: EntryContent], into findings: inout [Finding]) -> Bool {
        let entries = manifest!.entries
        let observation = observations[Int(observationIndex[i])]
        if let headerCheck = headerChecks[i] {
            findings += headerCheck.findings
            if headerCheck.typeMismatch { return true }
        }
        guard observation.type == .file || observation.type == .hardlink else { return true }

        let content = resolvedContent(i, carriers)
        if let content, content.encrypted {
            encryptedEntries += 1
            return true
        }
        if let damage = content?.damage {
            findings.append(Finding(path: entries.path(at: i), kind: .corruptArchive, actual: damage))
            return true
        }
        if let ownBytes = observation.byteCount, !observation.isHardlink,
           let declared = observation.declaredSize, declared != ownBytes {
            findings.append(Finding(
                path: entries.path(at: i), kind: .corruptArchive,
                expected: "\(declared) bytes (from the entry's header)", actual: "\(ownBytes) bytes of data"))
            return true
        }
        // A tar hard link's header declares 0 bytes whatever the file holds: only read data counts.
        let actualSize = content?.byteCount ?? (observation.isHardlink ? nil : observation.declaredSize)
        if let expected = entries.size(at: i), let actualSize, expected != actualSize {
            findings.append(Finding(path: entries.path(at: i), kind: .sizeMismatch, expected: "\(expected) bytes", actual: "\(actualSize) bytes"))
            return true
        }
        guard entries.needsContent(at: i) else { return true }
        guard let content else { return false }
        for expected in entries.digests(at: i) {
            guard let actual = content.digests.first(where: { $0.algorithm == expected.algorithm }) else { return false }
            if actual != expected {
                findings.append(Finding(
                    path: entries.path(at: i), kind: .contentMismatch,
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
        for i in hardlinkTargets.keys.sorted() { members.append((hardlinkTargets[i]!, ownContent(i))) }
        for other in others.values {
            if let root = other.hardlinkTarget { members.append((root, other.content)) }
        }
        func offer(_ root: EntryPath, _ content: EntryContent?) {
            guard carriers[root] == nil, let content, content.byteCount > 0 || content.damage != nil || content.encrypted else { return }
            carriers[root] = content
        }
        for (root, _) in members { offer(root, lookupContent(root)) }
        for (root, content) in members { offer(root, content) }
        return carriers
    }

    /// The content of file-like manifest entry `i`, following hard links.
    private func resolvedContent(_ i: Int, _ carriers: [EntryPath: EntryContent]) -> EntryContent? {
        let own = ownContent(i)
        if let own, own.byteCount > 0 || own.damage != nil || own.encrypted { return own }
        let root = hardlinkTargets[i] ?? archivePaths[i] ?? manifest!.entries.path(at: i)
        if let carried = carriers[root] { return carried }
        // A hard link's own empty read says nothing of its data (tar keeps that with the target):
        // when the target was not read either, the content is unknown, not empty.
        if let own, !isHardlink(i) { return own }
        return lookupContent(root)
    }

    private func isHardlink(_ i: Int) -> Bool {
        observationIndex[i] >= 0 && observations[Int(observationIndex[i])].isHardlink
    }

    /// The content read for the entry of this name.
    private func lookupContent(_ path: EntryPath) -> EntryContent? {
        switch index.lookup(path) {
        case .exact(let i), .canonical(let i): observationIndex[i] >= 0 ? ownContent(i) : others[path]?.content
        case nil: others[path]?.content
        }
    }
}
