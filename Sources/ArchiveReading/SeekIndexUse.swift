/// What a read did with a seek index it was given.
public enum SeekIndexUse: Sendable, Equatable {
    /// Read through the index: `read` entries of `total` were read from their own headers.
    case used(read: Int, total: Int)
    /// Not used, before anything was read (the archive changed, the read needs every byte...).
    case refused(String)
    /// An entry at an indexed position was not the one the index names: the entries reported so
    /// far must be thrown away and the archive read again sequentially.
    case mismatch(String)

    /// One line for a report.
    public var summary: String {
        switch self {
        case .used(let read, let total): "seek index used: \(read) of \(total) entries read from their headers, nothing between them"
        case .refused(let why): "seek index not used: \(why); read sequentially"
        case .mismatch(let why): "seek index did not match the archive (\(why)); read again sequentially"
        }
    }
}
