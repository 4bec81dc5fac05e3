import Foundation
import Synchronization

/// A clock that moves only when the test moves it: seconds since 1970, as the daemon's and the
/// hook runner's injected clocks read time. Set it to whole seconds plus exact offsets, so that
/// a boundary (`settle` after the scan, `max_age` after the mtime) is met to the bit.
public final class ManualClock: Sendable {
    private let time: Mutex<Double>

    public init(_ start: Double) { time = Mutex(start) }

    public var now: Double { time.withLock { $0 } }

    public func set(_ value: Double) { time.withLock { $0 = value } }

    public func advance(_ seconds: Double) { time.withLock { $0 += seconds } }

    /// The clock as the daemon takes it.
    public var function: @Sendable () -> Double { { self.now } }
}

/// Polls an async condition every 2 ms (cheap in-process reads, such as an actor's state) for
/// at most `seconds` (generous: in a full run, synchronous tests that poll can hold the cooperative pool for many seconds).
public func eventually(seconds: Double = 60, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return try await condition()
}
