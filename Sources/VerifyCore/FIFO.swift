/// A first-in, first-out queue: appends at the back, removes from the front, both O(1)
/// amortised (the array is compacted when its dead front grows past its live part).
public struct FIFO<Element> {
    private var storage: [Element?] = []
    private var head = 0

    public init() {}

    public var isEmpty: Bool { head == storage.count }
    public var count: Int { storage.count - head }
    public var first: Element? { isEmpty ? nil : storage[head] }

    public mutating func append(_ element: Element) { storage.append(element) }

    /// Removes and returns the front element; nil when empty.
    public mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }
}
