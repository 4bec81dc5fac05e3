import Testing
@testable import VerifyCore

@Suite("FIFO")
struct FIFOTests {
    @Test("elements come out in order across wrap-arounds and growth")
    func orderAcrossWrapAndGrowth() {
        var queue = FIFO<Int>()
        var expected: [Int] = []
        var next = 0
        // Uneven pushes and pops: the ring wraps many times and grows from 16 to 128 slots.
        for round in 0..<400 {
            for _ in 0..<(round % 7 + 1) {
                queue.append(next)
                expected.append(next)
                next += 1
            }
            for _ in 0..<(round % 5 + (round > 300 ? 3 : 0)) {
                #expect(queue.popFirst() == (expected.isEmpty ? nil : expected.removeFirst()))
            }
            #expect(queue.count == expected.count)
            #expect(queue.first == expected.first)
        }
        while let value = queue.popFirst() { #expect(value == expected.removeFirst()) }
        #expect(expected.isEmpty)
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
    }
}
