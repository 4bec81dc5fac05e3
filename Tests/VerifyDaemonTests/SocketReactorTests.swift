import Foundation
import Testing
import VerifyTestSupport

@testable import VerifyDaemon

/// The daemon's one poll thread, and the history thread, in this process: readiness, deadlines,
/// cancellation before and during a wait, descriptors that are not what they should be.
@Suite(.timeLimit(.minutes(8)))
struct SocketReactorTests {
    /// A pipe whose ends are closed when the test ends.
    final class Pipe: Sendable {
        let read: Int32
        let write: Int32
        init() {
            var ends: [Int32] = [-1, -1]
            precondition(pipe(&ends) == 0)
            (read, write) = (ends[0], ends[1])
        }
        func send() { var byte: UInt8 = 1; _ = Glibc.write(write, &byte, 1) }
        deinit { close(read); close(write) }
    }

    @Test func aWaiterIsToldWhenItsDescriptorBecomesReadable() async {
        let pipe = Pipe()
        async let readiness = SocketReactor.shared.wait(pipe.read, for: Int16(POLLIN), timeout: 20)
        pipe.send()
        #expect(await readiness == .ready)
    }

    @Test func aWaitEndsAtItsDeadlineAndNotBefore() async {
        let pipe = Pipe()
        let start = ContinuousClock.now
        #expect(await SocketReactor.shared.wait(pipe.read, for: Int16(POLLIN), timeout: 0.05) == .timedOut)
        #expect(ContinuousClock.now - start >= .milliseconds(50))
    }

    @Test func cancellationEndsAWaitWithNoDeadline() async {
        let pipe = Pipe()
        let waiting = Task { await SocketReactor.shared.wait(pipe.read, for: Int16(POLLIN), timeout: nil) }
        waiting.cancel()
        #expect(await waiting.value == .cancelled)
        // Cancelled before it began: it does not wait at all.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await SocketReactor.shared.wait(pipe.read, for: Int16(POLLIN), timeout: nil)
        }
        #expect(await early.value == .cancelled)
    }

    @Test func aHungUpDescriptorIsReadyAtOnceNotAHang() async {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        close(ends[1])  // the reader sees the hang-up
        #expect(await SocketReactor.shared.wait(ends[0], for: Int16(POLLIN), timeout: 20) == .ready)
        var byte: UInt8 = 0
        #expect(read(ends[0], &byte, 1) == 0, "and its read says end of file")
    }

    @Test func manyWaitersAreEachToldOnce() async {
        let pipes = (0..<200).map { _ in Pipe() }
        await withTaskGroup(of: SocketReactor.Readiness.self) { group in
            for pipe in pipes { group.addTask { await SocketReactor.shared.wait(pipe.read, for: Int16(POLLIN), timeout: 20) } }
            for pipe in pipes.reversed() { pipe.send() }
            var answers: [SocketReactor.Readiness] = []
            for await answer in group { answers.append(answer) }
            #expect(answers.count == 200)
            #expect(answers.allSatisfy { $0 == .ready })
        }
    }

    @Test func historyJobsRunInOrderOnTheHistoryThread() async {
        let name = await HistoryExecutor.shared.run { try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) }
        #expect(name == "verifyd-history\n")
        var order: [Int] = []
        for index in 0..<50 { order.append(await HistoryExecutor.shared.run { index }) }
        #expect(order == Array(0..<50))
    }
}
