/// A first-in, first-out queue: appends at the back, removes from the front, both O(1)
/// amortised. A ring that doubles when full: a queue that empties after nearly every entry (a
/// reader's pending ends) costs nothing to empty.
public struct FIFO<Element> {
    private var storage: [Element?] = []
    /// Where the front element is; the elements run on from there, wrapping around.
    private var head = 0
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }
    public var first: Element? { isEmpty ? nil : storage[head] }

    public mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = element
        count += 1
    }

    /// Removes and returns the front element; nil when empty.
    public mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return element
    }

    /// Doubles the ring (a power of two), the elements in order from its start.
    private mutating func grow() {
        var larger = [Element?](repeating: nil, count: max(16, storage.count * 2))
        for offset in 0..<count { larger[offset] = storage[(head + offset) & (storage.count - 1)] }
        storage = larger
        head = 0
    }
}
