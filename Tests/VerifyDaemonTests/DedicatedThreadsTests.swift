import Foundation
import Testing
import VerifyTestSupport

/// The tests' own executor: tests that block get threads of their own (`.dedicatedThreads`), so
/// that on a 2-core machine two of them cannot hold up every other test.
@Suite(.dedicatedThreads, .timeLimit(.minutes(2)))
struct DedicatedThreadsTests {
    @Test func aSynchronousTestRunsOnADedicatedThread() {
        #expect(DedicatedThreadExecutor.isCurrentThread)
    }

    @Test func anAsynchronousTestResumesOnADedicatedThread() async throws {
        #expect(DedicatedThreadExecutor.isCurrentThread)
        try await Task.sleep(for: .milliseconds(1))
        #expect(DedicatedThreadExecutor.isCurrentThread)
    }

    /// Six child tasks that each block their thread until all six have arrived: on the
    /// cooperative pool (as wide as the cores) they would wait out the deadline.
    @Test func tasksThatBlockDoNotWaitForEachOther() async {
        let barrier = BlockingBarrier(count: 6)
        let arrived = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<6 { group.addTask { barrier.arriveAndWait(seconds: 30) } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(arrived == Array(repeating: true, count: 6))
    }
}

/// Counts arrivals; each arrival blocks its thread until `count` have arrived (or the deadline).
/// Unchecked Sendable: `arrived` is read and written only under `condition`'s lock.
final class BlockingBarrier: @unchecked Sendable {
    private let condition = NSCondition()
    private var arrived = 0
    let count: Int

    init(count: Int) { self.count = count }

    func arriveAndWait(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        while arrived < count {
            if !condition.wait(until: deadline) { return arrived >= count }
        }
        return true
    }
}
