import VerifyCore

/// The ordered hand-off: entries are read ahead of the hashing thread (and of a zip's second
/// reader), and the visitor hears of their ends in archive order, each once its digests are known.
extension ArchiveReader {
    /// Tells the visitor of the read entries whose digests are known, in order. With `wait`,
    /// of all of them; without, it still waits once too many are pending.
    func deliverEnds(to visitor: some EntryVisitor, wait: Bool) {
        while let front = pendingEnds.first {
            var content = front.content
            let mustWait = wait || pendingEnds.count > Self.pendingLimit
            if let ticket = front.ticket {
                guard let digests = hashThread?.digests(ticket: ticket, wait: mustWait) else { return }
                content?.digests = digests
            } else if let remote = front.remote {
                guard let read = split?.content(of: remote, wait: mustWait) else { return }
                content = read
            }
            _ = pendingEnds.popFirst()
            visitor.endEntry(content)
        }
    }

    struct PendingEnd {
        /// The hashing thread's ticket for the digests; nil when they are in `content` already.
        var ticket: Int?
        var content: EntryContent?
        /// The entry's number, when the second reader of a zip reads it.
        var remote: Int?
    }

    /// Entries read ahead of the hashing thread at most, before the reader waits for it.
    static let pendingLimit = 4096
}
