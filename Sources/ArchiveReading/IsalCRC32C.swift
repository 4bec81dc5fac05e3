import CIsal
import VerifyCore

/// ISA-L's CRC-32C (`crc32_iscsi`): SSE4.2/PCLMUL or ARMv8 CRC instructions where the CPU has
/// them, ISA-L's own tables where not. Same convention as `CRC32C`: the running value is not
/// inverted between calls (checked against "123456789" → 0xE3069283 in the tests).
enum IsalCRC32C {
    static let update: CRC32C.Update = { running, bytes in
        guard let base = bytes.baseAddress else { return running }
        var crc = running
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            crc = crc32_iscsi(UnsafeMutablePointer(mutating: base.advanced(by: offset).assumingMemoryBound(to: UInt8.self)), Int32(n), crc)
            offset += n
        }
        return crc
    }
}

extension ContentHasher {
    /// A hasher whose CRC-32C runs on ISA-L's hardware kernel: the one the reader uses.
    init(reading algorithms: some Sequence<DigestAlgorithm>) {
        self.init(algorithms: algorithms, crc32c: IsalCRC32C.update)
    }
}
