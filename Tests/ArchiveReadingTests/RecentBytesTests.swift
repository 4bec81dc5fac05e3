@testable import ArchiveReading
import Testing

/// `RecentBytes` keeps the end of a stream handed out in blocks of any size.
struct RecentBytesTests {
    @Test(arguments: [[1, 7, 600, 5_000, 3, 70_000], [100_000], [511, 513, 1, 1, 1, 2_048, 4_095, 4_097, 9]])
    func theEndOfTheStreamIsHeldAcrossBlocks(sizes: [Int]) {
        let stream = (0..<sizes.reduce(0, +)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        var recent = RecentBytes()
        // The blocks stay valid while held, as libarchive's rule says: one buffer per block here.
        var buffers: [UnsafeMutableRawBufferPointer] = []
        defer { buffers.forEach { $0.deallocate() } }
        var at = 0
        for size in sizes {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: stream.withUnsafeBytes { $0 }[at..<(at + size)]))
            buffers.append(buffer)
            recent.handOut(UnsafeRawBufferPointer(buffer))
            at += size
        }
        #expect(recent.total == Int64(stream.count))
        let last = sizes.last!
        // Everything from the last block's start less the carried bytes is there, byte for byte.
        let oldest = max(stream.count - last - RecentBytes.carried, 0)
        #expect(recent.bytes(from: Int64(oldest)) != nil, "\(sizes)")
        // Whatever it holds is the stream, byte for byte, at every offset.
        let from = max(stream.count - last - 3 * RecentBytes.carried, 0)
        for offset in Array(stride(from: from, to: stream.count - last, by: 37)) + [stream.count - last, stream.count - 1, stream.count] {
            if let held = recent.bytes(from: Int64(offset)) {
                #expect(held == Array(stream[offset...]), "\(sizes) from \(offset)")
                if held != Array(stream[offset...]) { break }
            }
        }
        if oldest > 0 { #expect(recent.bytes(from: Int64(oldest - RecentBytes.carried - 1)) == nil) }
        #expect(recent.bytes(from: Int64(stream.count + 1)) == nil)
        // Retired (the block is about to be reused): the carried end is still there.
        recent.retire()
        let carried = min(stream.count, RecentBytes.carried)
        #expect(recent.bytes(from: Int64(stream.count - carried)) == Array(stream[(stream.count - carried)...]))
    }
}
