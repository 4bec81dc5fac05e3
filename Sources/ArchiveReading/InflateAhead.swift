import Foundation
import VerifyCore

/// Reads and inflates a gzip stream on a thread of its own, a few large blocks ahead of the
/// parser: inflating is the slowest step of a `.tar.gz`, so it gets a core to itself while the
/// reading thread parses and hashes (two cores: as fast as `igzip -dc` alone).
///
/// The producer fills 1 MiB slots through `fill`, which returns the bytes it wrote (more than 0),
/// 0 at the end, or -1 on damage or error. The consumer takes the slots in order with `next`; a
/// slot it was given stays untouched until its next call (libarchive's rule for read callbacks).
final class InflateAhead: @unchecked Sendable {
    static let slotSize = 1 << 20
    static let slotCount = 4

    private let condition = NSCondition()
    private let slots: [UnsafeMutableRawBufferPointer]
    // Under `condition`:
    private var free: [Int]
    private var filled = FIFO<(slot: Int, count: Int)>()
    /// What `fill` returned last, once it returned 0 or -1.
    private var final: Int?
    private var cancelled = false
    private var running = true
    // The consumer's own:
    private var holding: Int?

    init(fill: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Int) {
        slots = (0..<InflateAhead.slotCount).map { _ in .allocate(byteCount: InflateAhead.slotSize, alignment: 64) }
        free = Array(slots.indices)
        let thread = Thread { [self] in produce(fill) }
        thread.name = "verifyd-inflate"
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        for slot in slots { slot.deallocate() }
    }

    /// The next block: its byte count (the block is in `block`), 0 at the end, -1 on damage.
    func next(_ block: inout UnsafeRawPointer?) -> Int {
        condition.lock()
        defer { condition.unlock() }
        if let holding {
            free.append(holding)
            self.holding = nil
            condition.broadcast()
        }
        while filled.isEmpty && final == nil { condition.wait() }
        guard let (slot, count) = filled.popFirst() else { return final! }
        holding = slot
        block = UnsafeRawPointer(slots[slot].baseAddress)
        return count
    }

    /// Stops the producer (it finishes the slot it is filling) and waits for it.
    func stop() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func produce(_ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        defer {
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        while true {
            condition.lock()
            while free.isEmpty && !cancelled { condition.wait() }
            if cancelled {
                condition.unlock()
                return
            }
            let slot = free.removeLast()
            condition.unlock()

            let buffer = slots[slot]
            var used = 0
            var last: Int?
            while used < buffer.count {
                let n = fill(UnsafeMutableRawBufferPointer(rebasing: buffer[used...]))
                if n <= 0 { last = n; break }
                used += n
            }

            condition.lock()
            if used > 0 { filled.append((slot, used)) } else { free.append(slot) }
            if let last { final = last }
            condition.broadcast()
            condition.unlock()
            if last != nil { return }
        }
    }
}
