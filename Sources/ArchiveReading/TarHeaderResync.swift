import VerifyCore

/// Damaged tar headers, stepped over. On a header whose checksum fails, libarchive's tar reader
/// consumes that 512-byte block and asks to be called again (`ARCHIVE_RETRY`): called again, it
/// tries the next block, and so on to the next block that is a good header. GNU tar ("Skipping
/// to next header") and bsdtar ("Retrying...") go on that way, and so does verifyd: the entry
/// whose header is damaged is lost, the entries after it are read and checked, and each damaged
/// place is reported (the archive fails) with the entry before it.
struct TarHeaderResync {
    /// Damaged places seen (runs of blocks skipped before a good header).
    private(set) var places = 0
    private var first: (after: String?, message: String, blocks: Int)?
    private var inPlace = false
    private var lastPosition: Int64 = -1

    /// Whether to call libarchive again after a retry on a header: only for tar, and only when
    /// it consumed something since the last retry (so it can never loop in place). `position`
    /// is the bytes the format has consumed; `after` the last entry read before, if any.
    mutating func shouldRetry(isTar: Bool, position: Int64, message: String, after entry: String?) -> Bool {
        guard isTar, position > lastPosition else { return false }
        lastPosition = position
        if !inPlace {
            inPlace = true
            places += 1
            if first == nil { first = (entry, message, 0) }
        }
        if places == 1 { first?.blocks += 1 }
        return true
    }

    /// A good header was read: a damaged place, if one was being skipped, ends.
    mutating func headerRead() { inPlace = false }

    /// The damage to report for the archive, if any place was skipped.
    var damage: String? {
        guard let first else { return nil }
        let place = first.after.map { "after \"\($0)\"" } ?? "at the start"
        let blocks = first.blocks == 1 ? "1 block" : "\(first.blocks) blocks"
        var text = "\(first.message): a damaged header \(place); \(blocks) of 512 bytes skipped to the next good header"
        if places > 1 { text += " (and \(places - 1) more damaged \(places == 2 ? "place" : "places") further on)" }
        return text
    }
}
