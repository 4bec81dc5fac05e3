import Testing
import VerifyCore
@testable import ArchiveReading

/// ISA-L's CRC-32C (hardware where the CPU has it) against the table kernel of VerifyCore, at
/// every length around the vector widths, split anywhere, and on the check value.
@Suite struct IsalCRC32CTests {
    @Test func agreesWithTheSoftwareKernel() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in Array(0...70) + [255, 256, 257, 4095, 4096, 4097, 5000] {
            for split in Set([0, length / 3, length]) {
                var hardware = ContentHasher(reading: [.crc32c])
                var software = ContentHasher(algorithms: [.crc32c])
                bytes[0..<split].withUnsafeBytes { hardware.update($0); software.update($0) }
                bytes[split..<length].withUnsafeBytes { hardware.update($0); software.update($0) }
                #expect(hardware.finalize() == software.finalize(), "length \(length) split \(split)")
            }
        }
        var crc = CRC32C(update: IsalCRC32C.update)
        Array("123456789".utf8).withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xE306_9283)
    }
}
