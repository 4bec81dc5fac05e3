/// The runs waiting for a worker, first in first out, with requests put in front. Taking the
/// next run and asking whether an archive is queued cost O(1) however long the queue is (on a
/// host where 100,000 archives arrive at once, an array's `removeFirst` moved them all each time).
struct RunQueue: Sendable {
    /// The next runs, in reverse order (the next one is last); and the later ones, in order.
    private var front: [Daemon.QueuedRun] = []
    private var back: [Daemon.QueuedRun] = []
    /// How many times each archive is queued.
    private var queuedPaths: [String: Int] = [:]

    var count: Int { front.count + back.count }
    var isEmpty: Bool { front.isEmpty && back.isEmpty }

    mutating func append(_ item: Daemon.QueuedRun) {
        back.append(item)
        queuedPaths[item.file.path, default: 0] += 1
    }

    /// Queues `item` before every other (a run someone asked for).
    mutating func pushFront(_ item: Daemon.QueuedRun) {
        front.append(item)
        queuedPaths[item.file.path, default: 0] += 1
    }

    mutating func popFirst() -> Daemon.QueuedRun? {
        if front.isEmpty {
            front = back.reversed()
            back = []
        }
        guard let item = front.popLast() else { return nil }
        let left = queuedPaths[item.file.path, default: 1] - 1
        queuedPaths[item.file.path] = left > 0 ? left : nil
        return item
    }

    func contains(path: String) -> Bool { queuedPaths[path] != nil }

    /// Drops the runs `shouldRemove` picks (in queue order), keeping the others' order.
    mutating func removeAll(where shouldRemove: (Daemon.QueuedRun) -> Bool) {
        let all = front.reversed() + back
        front = []
        back = []
        queuedPaths = [:]
        for item in all where !shouldRemove(item) { append(item) }
    }
}
