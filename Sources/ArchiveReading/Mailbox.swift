import Foundation

/// Results one thread hands another by key: the producer posts each when it is ready, the
/// consumer takes each once, waiting for it or not. Once closed, a key never posted is answered
/// with the closing value (the producer stopped before it).
final class Mailbox<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var posted: [Int: Value] = [:]
    private var missing: Value?

    func post(_ values: some Sequence<(Int, Value)>) {
        condition.lock()
        for (key, value) in values { posted[key] = value }
        condition.broadcast()
        condition.unlock()
    }

    /// No more posts: keys not posted get `missing`.
    func close(missing value: Value) {
        condition.lock()
        missing = value
        condition.broadcast()
        condition.unlock()
    }

    /// The value for `key`: nil while it is not there yet, unless `wait`.
    func take(_ key: Int, wait: Bool) -> Value? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = posted.removeValue(forKey: key) { return value }
            if let missing { return missing }
            guard wait else { return nil }
            condition.wait()
        }
    }
}
