/// A min-heap of (time, archive path): when each archive of a destination next becomes due.
/// Entries are never updated in place: a changed time is pushed again, and the old entry is
/// recognised as stale by its owner (`ArchiveTracker.dueAt`) and dropped when it reaches the top.
/// Push and pop cost O(log n); the entries due by a time are found without visiting the rest.
struct DueHeap: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var time: Double
        var path: String
    }

    private(set) var entries: [Entry] = []

    init() {}

    /// A heap of these entries, built in O(n).
    init(_ entries: [Entry]) {
        self.entries = entries
        var index = entries.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    var first: Entry? { entries.first }
    var count: Int { entries.count }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        if !entries.isEmpty { siftDown(0) }
        return top
    }

    /// Every entry at or before `time` (stale ones included), visiting only those and their
    /// children: a subtree whose root is later holds nothing earlier.
    func entries(atOrBefore time: Double) -> [Entry] {
        var found: [Entry] = []
        var stack = entries.isEmpty ? [] : [0]
        while let index = stack.popLast() {
            guard entries[index].time <= time else { continue }
            found.append(entries[index])
            for child in [2 * index + 1, 2 * index + 2] where child < entries.count { stack.append(child) }
        }
        return found
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, Self.less(entries[left], entries[smallest]) { smallest = left }
            if right < entries.count, Self.less(entries[right], entries[smallest]) { smallest = right }
            guard smallest != parent else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }

    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.time != b.time ? a.time < b.time : a.path < b.path
    }
}
