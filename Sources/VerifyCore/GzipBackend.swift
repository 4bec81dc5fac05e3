/// Which gzip decoder reads `.gz` files (`inflater` in the configuration, `--inflater` of
/// `verifyctl check`). The decoders themselves are in ArchiveReading.
public enum GzipBackend: String, Sendable, Codable, CaseIterable {
    /// Intel ISA-L's inflate: about twice as fast as zlib here.
    case isal
    case zlib
}
