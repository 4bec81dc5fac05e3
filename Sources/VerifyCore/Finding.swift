/// The kinds of problem a run can find. The raw values are stable (JSON, history, alerts).
public enum FindingKind: String, Sendable, Codable, CaseIterable {
    case contentMismatch = "content_mismatch"
    case sizeMismatch = "size_mismatch"
    case missing
    case corruptArchive = "corrupt_archive"
    case typeMismatch = "type_mismatch"
    case metadataMismatch = "metadata_mismatch"
    case linkMismatch = "link_mismatch"
    case unexpected
    /// An entry whose name would land outside the restore folder (`..`, an absolute path), or
    /// a restore that would exceed its size limit: refused, never written.
    case unsafeEntry = "unsafe_entry"
    /// A database dump (a single stream) that does not end as its producer ends it: the dumper
    /// died midway while the compressor closed its stream cleanly (`DumpCompletion`).
    case truncatedDump = "truncated_dump"
    /// The manifest's detached signature is missing where required, or does not verify with a
    /// trusted key (`ManifestSignaturePolicy`): the manifest cannot be trusted.
    case signatureInvalid = "signature_invalid"
}

/// One problem found: which entry, what kind, what was expected and what was there.
public struct Finding: Sendable, Equatable {
    /// The entry, or nil for a problem of the whole archive.
    public var path: EntryPath?
    public var kind: FindingKind
    public var expected: String?
    public var actual: String?

    public init(path: EntryPath?, kind: FindingKind, expected: String? = nil, actual: String? = nil) {
        self.path = path
        self.kind = kind
        self.expected = expected
        self.actual = actual
    }
}
