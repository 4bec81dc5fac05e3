import Foundation
import Synchronization
import VerifyCore

/// Reads about half of a zip's members on a second core. Zip members are independent: a second
/// reader (its own libarchive handle over a duplicate of the same descriptor) walks the same
/// headers and reads the members the first reader hands it, seeking past the others; the first
/// reader seeks past those and reads the rest. Both inflate and hash.
///
/// The first reader decides entry by entry, in order, what the second reads (`decide`), and
/// collects its contents (`content`); the second blocks until the decision for its next entry
/// is known. Each side's methods are called from its own thread; the lock guards the rest.
final class MemberSplit: @unchecked Sendable {
    private let condition = NSCondition()
    // Under `condition`:
    /// The request for each entry, by entry number: `.skip` for the entries the first reader keeps.
    private var decisions: [ContentRequest] = []
    private var closed = false
    private var running = true
    /// Bytes handed to the second reader and not read yet, with each entry's share.
    private var outstanding: Int64 = 0
    private var sizes: [Int: Int64] = [:]
    /// The names the first reader knows entries by, where it asked for them by number.
    private var expectedNames: [Int: [UInt8]] = [:]

    /// What the second reader read, by entry number.
    private let contents = Mailbox<EntryContent?>()

    /// The second reader gets a member when it has less than this left to read: it is never
    /// idle, and the first reader reads the rest (members differ in cost: stored or deflated).
    static let backlog: Int64 = 8 << 20

    /// Bytes the second reader read from the file.
    private let secondBytes = Atomic<Int64>(0)
    var bytesRead: Int64 { secondBytes.load(ordering: .relaxed) }

    init(second reader: ArchiveReader) {
        // The second reader is used by that thread only, from here on.
        nonisolated(unsafe) let reader = reader
        let thread = Thread { [self] in
            let outcome = reader.read(into: SecondReaderVisitor(split: self, reader: reader))
            secondBytes.store(outcome.bytesRead, ordering: .relaxed)
            // Entries handed over that it never reached (it stopped at damage) are damage.
            let why = outcome.damage ?? outcome.ioError ?? "the second reader stopped before this entry"
            contents.close(missing: EntryContent(digests: [], byteCount: 0, damage: why))
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "verifyd-members"
        thread.stackSize = 16 << 20
        thread.start()
    }

    // MARK: The first reader

    /// Records what to do with the next entry; its number when the second reader reads it.
    func decide(_ request: ContentRequest, _ header: EntryHeader) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        let index = decisions.count
        var handOver = false
        if case .read = request, header.type == .file, let size = header.size, size > 0, outstanding < Self.backlog {
            handOver = true
            outstanding += size
            sizes[index] = size
        }
        decisions.append(handOver ? request : .skip)
        condition.broadcast()
        return handOver ? index : nil
    }

    /// Has the second reader read entry `index` (and skip every entry before it not decided yet):
    /// for entries the first reader could not read another way, in increasing order. When the
    /// first reader took its entries from a zip's central directory, `name` is the entry's name
    /// there: a local header that names it otherwise is damage.
    func decide(_ index: Int, _ request: ContentRequest, expecting name: [UInt8]? = nil) {
        condition.lock()
        while decisions.count < index { decisions.append(.skip) }
        if decisions.count == index { decisions.append(request) }
        if let name { expectedNames[index] = name }
        condition.broadcast()
        condition.unlock()
    }

    /// The content the second reader read for an entry: nil while it is not known yet (unless
    /// `wait`). Once the second reader has stopped, entries it did not reach are damage.
    func content(of index: Int, wait: Bool) -> EntryContent?? {
        contents.take(index, wait: wait)
    }

    /// No more decisions: the second reader stops at the first entry without one.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the second reader's thread to end (after `close`).
    func join() {
        condition.lock()
        while running { condition.wait() }
        condition.unlock()
    }

    // MARK: The second reader

    fileprivate func decision(for index: Int) -> (ContentRequest, expectedName: [UInt8]?)? {
        condition.lock()
        defer { condition.unlock() }
        while decisions.count <= index && !closed { condition.wait() }
        return index < decisions.count ? (decisions[index], expectedNames.removeValue(forKey: index)) : nil
    }

    fileprivate func publish(_ index: Int, _ content: EntryContent?) {
        condition.lock()
        outstanding -= sizes.removeValue(forKey: index) ?? 0
        condition.unlock()
        contents.post([(index, content)])
    }
}

/// The second reader's visitor: asks the first reader what to read, publishes what it read.
private final class SecondReaderVisitor: EntryVisitor {
    let split: MemberSplit
    unowned let reader: ArchiveReader
    private var next = 0
    /// Each entry begun: its number when it is read for the first reader, and why it is damaged
    /// when its header names it otherwise than the first reader does.
    private var begun = FIFO<(index: Int, misnamed: String?)?>()

    init(split: MemberSplit, reader: ArchiveReader) {
        self.split = split
        self.reader = reader
    }

    func beginEntry(_ header: EntryHeader) -> ContentRequest {
        let index = next
        next += 1
        guard let (request, expectedName) = split.decision(for: index) else {
            reader.cancel()
            begun.append(nil)
            return .skip
        }
        var misnamed: String?
        if let expectedName, expectedName != header.rawPath {
            misnamed = "the member's local header names it \"\(EntryPath(unnormalized: header.rawPath))\", "
                + "its central directory entry \"\(EntryPath(unnormalized: expectedName))\""
        }
        begun.append(request == .skip ? nil : (index, misnamed))
        return request
    }

    func endEntry(_ content: EntryContent?) {
        guard case let (index, misnamed)?? = begun.popFirst() else { return }
        if let misnamed {
            split.publish(index, EntryContent(digests: [], byteCount: content?.byteCount ?? 0, damage: misnamed))
        } else {
            split.publish(index, content)
        }
    }
}
