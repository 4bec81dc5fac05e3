/// The latest bytes of a decoded stream as they were handed to libarchive: how far the stream
/// has got, the block handed out last (libarchive may still be reading it; it stays untouched
/// until the next block is asked for), and a copy of the end of the blocks before it. So the
/// bytes libarchive's tar reader looked at around its end (the end-of-archive marker, and what
/// it read ahead past it) can be looked at again afterwards (`TarEnd`).
///
/// libarchive copies at most the bytes one read-ahead asks for (512 at the tar end) out of
/// earlier blocks; the stream from the last entry's end to the end of the last block is the
/// marker (1,024 bytes) plus that copy plus the last block, well inside what is kept.
struct RecentBytes {
    static let carried = 4_096

    /// Bytes handed out so far.
    private(set) var total: Int64 = 0
    private var current: UnsafeRawBufferPointer?
    /// The end of the blocks before `current`, in stream order.
    private var carry: [UInt8] = []

    /// The block handed out last is about to be reused: keep its end.
    mutating func retire() {
        guard let block = current else { return }
        current = nil
        // Kept contiguous: a block as long as what is carried replaces it.
        if block.count >= Self.carried {
            carry = Array(block.suffix(Self.carried))
        } else {
            carry.append(contentsOf: block)
            if carry.count > 2 * Self.carried { carry.removeFirst(carry.count - Self.carried) }
        }
    }

    /// A block handed to libarchive.
    mutating func handOut(_ block: UnsafeRawBufferPointer) {
        retire()
        current = block
        total += Int64(block.count)
    }

    /// The bytes from stream offset `offset` to `total`, when they are all still held.
    func bytes(from offset: Int64) -> [UInt8]? {
        let held = Int64(carry.count + (current?.count ?? 0))
        guard offset >= total - held, offset <= total else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(Int(total - offset))
        let carryStart = total - held
        if offset < carryStart + Int64(carry.count) {
            out.append(contentsOf: carry[Int(offset - carryStart)...])
        }
        if let current {
            let currentStart = total - Int64(current.count)
            out.append(contentsOf: current[Int(max(offset - currentStart, 0))...])
        }
        return out
    }
}
