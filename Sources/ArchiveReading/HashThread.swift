import Foundation
import VerifyCore

/// Hashes entry data on a second core while the reading thread inflates and parses.
///
/// The reading thread copies each entry's data into large batches (1 MiB) and hands a batch
/// over only when it is full, through a small pool: a hand-off per libarchive block was measured
/// slower than no second thread at all, a hand-off per megabyte is not. A batch holds the data
/// of many small entries or a part of a large one; the hashing thread keeps the one hasher of
/// the entry being hashed and publishes each entry's digests under a ticket, in order.
///
/// The reading side (`begin`, `add`, `addZeros`, `end`, `digests`, `finish`) is used from one
/// thread only; the lock guards what the two threads share.
final class HashThread: @unchecked Sendable {
    static let batchSize = 1 << 20
    static let batchCount = 4

    private enum Segment {
        case begin([DigestAlgorithm])
        case data(start: Int, count: Int)
        case zeros(Int64)
        case end(ticket: Int)
    }

    private final class Batch {
        let buffer: UnsafeMutableRawBufferPointer
        var used = 0
        var segments: [Segment] = []
        init() { buffer = .allocate(byteCount: HashThread.batchSize, alignment: 64) }
        deinit { buffer.deallocate() }
    }

    private let condition = NSCondition()
    // Shared, under `condition`:
    private var free: [Batch]
    private var full = FIFO<Batch>()
    private var closing = false
    private var finished = false

    // The reading thread's own:
    private var filling: Batch?
    private var nextTicket = 0

    /// Each ended entry's digests, by ticket.
    private let results = Mailbox<[Digest]>()

    init() {
        free = (0..<HashThread.batchCount).map { _ in Batch() }
        let thread = Thread { [self] in run() }
        thread.name = "verifyd-hash"
        thread.stackSize = 1 << 20
        thread.start()
    }

    // MARK: The reading thread

    /// Every batch is full and waiting: an entry begun now is better hashed by the reading thread
    /// itself than queued (where the stream inflates faster than it hashes: stored or
    /// incompressible data).
    var isBacklogged: Bool {
        condition.lock()
        defer { condition.unlock() }
        return free.isEmpty
    }

    /// Starts an entry; its data follows through `add` and `addZeros`.
    func begin(_ algorithms: [DigestAlgorithm]) {
        current(forData: false).segments.append(.begin(algorithms))
    }

    func add(_ chunk: UnsafeRawBufferPointer) {
        var rest = chunk
        while !rest.isEmpty {
            let batch = current(forData: true)
            let n = min(rest.count, batch.buffer.count - batch.used)
            UnsafeMutableRawBufferPointer(rebasing: batch.buffer[batch.used..<batch.used + n]).copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            batch.segments.append(.data(start: batch.used, count: n))
            batch.used += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    func addZeros(_ count: Int64) {
        current(forData: false).segments.append(.zeros(count))
    }

    /// Ends the entry; its digests come later from `digests(ticket:wait:)`.
    func end() -> Int {
        let ticket = nextTicket
        nextTicket += 1
        current(forData: false).segments.append(.end(ticket: ticket))
        return ticket
    }

    /// The digests of an ended entry: nil while they are still being computed, unless `wait`.
    func digests(ticket: Int, wait: Bool) -> [Digest]? {
        if wait { submit() }
        return results.take(ticket, wait: wait)
    }

    /// Stops the thread once it has hashed what was handed over.
    func finish() {
        submit()
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// The batch being filled, handing it over first when data has no room left in it.
    private func current(forData: Bool) -> Batch {
        if let filling, !forData || filling.used < filling.buffer.count { return filling }
        submit()
        condition.lock()
        while free.isEmpty { condition.wait() }
        let batch = free.removeLast()
        condition.unlock()
        batch.used = 0
        batch.segments.removeAll(keepingCapacity: true)
        filling = batch
        return batch
    }

    /// Hands the batch being filled to the hashing thread.
    private func submit() {
        guard let batch = filling else { return }
        filling = nil
        condition.lock()
        full.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    // MARK: The hashing thread

    private func run() {
        var hasher = ContentHasher(algorithms: [])
        var done: [(Int, [Digest])] = []
        while true {
            condition.lock()
            while full.isEmpty && !closing { condition.wait() }
            guard let batch = full.popFirst() else {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()

            for segment in batch.segments {
                switch segment {
                case .begin(let algorithms):
                    hasher = ContentHasher(reading: algorithms)
                case .data(let start, let count):
                    hasher.update(UnsafeRawBufferPointer(rebasing: batch.buffer[start..<start + count]))
                case .zeros(let count):
                    hasher.updateZeros(count: count)
                case .end(let ticket):
                    done.append((ticket, hasher.finalize()))
                }
            }

            results.post(done)
            done.removeAll(keepingCapacity: true)
            condition.lock()
            free.append(batch)
            condition.broadcast()
            condition.unlock()
        }
    }
}
