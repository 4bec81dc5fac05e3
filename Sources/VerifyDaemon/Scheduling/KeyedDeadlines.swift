/// The next time each destination needs the daemon loop's attention for one question (an
/// archive due, a poll owed, a state that changes with time alone), and the earliest of them, kept
/// as they change: a time per key, and the same in a heap whose stale entries are dropped as they
/// reach the top (`DueHeap`). Setting a time and taking those that have come cost O(log n) each;
/// nothing visits the keys whose time has not come.
struct KeyedDeadlines: Sendable {
    private(set) var times: [String: Double] = [:]
    private var heap = DueHeap()

    /// The earliest time set (the heap's top is never stale).
    var earliest: Double? { heap.first?.time }

    /// Sets (or, with nil, clears) the key's time.
    mutating func set(_ key: String, _ time: Double?) {
        guard times[key] != time else { return }
        times[key] = time
        if let time { heap.push(.init(time: time, path: key)) }
        dropStale()
        if heap.count > 2 * times.count + 64 {
            heap = DueHeap(times.map { DueHeap.Entry(time: $0.value, path: $0.key) })
        }
    }

    /// Takes out the keys whose time is at or before `now`, earliest first: each is cleared, and
    /// comes back only when set again.
    mutating func take(atOrBefore now: Double) -> [String] {
        var keys: [String] = []
        while let top = heap.first, top.time <= now {
            heap.popFirst()
            guard times[top.path] == top.time else { continue }
            times[top.path] = nil
            keys.append(top.path)
        }
        dropStale()
        return keys
    }

    private mutating func dropStale() {
        while let top = heap.first, times[top.path] != top.time { heap.popFirst() }
    }
}
