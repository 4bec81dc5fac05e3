/// CRC-32C (Castagnoli), the checksum PostgreSQL's `backup_manifest` lists by default.
///
/// The state starts at all ones and is inverted at the end (the iSCSI convention; the check
/// value of "123456789" is 0xE3069283). The digest's bytes are the final value little-endian,
/// as PostgreSQL writes it (it hex-encodes the `uint32` as it lies in memory on x86 and ARM).
/// `update` is the kernel that folds bytes in: `software` here, ISA-L's hardware one
/// (`crc32_iscsi`, SSE4.2 or ARMv8 CRC) where ArchiveReading makes the hasher.
public struct CRC32C: Sendable {
    /// Folds `bytes` into a running value (not inverted) and returns the new value.
    public typealias Update = @Sendable (_ running: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32

    private var running: UInt32 = 0xFFFF_FFFF
    private let update: Update

    public init(update: @escaping Update = CRC32C.software) {
        self.update = update
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        running = update(running, bytes)
    }

    /// The CRC of everything folded in.
    public var value: UInt32 { ~running }

    /// The 4 digest bytes: the value little-endian, as PostgreSQL's manifest hex-encodes it.
    public var digestBytes: [UInt8] {
        let v = value
        return [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
    }

    /// A table-driven kernel in Swift (about 0.5 GB/s): the fallback and the reference the
    /// hardware one is tested against.
    public static let software: Update = { running, bytes in
        var crc = running
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8)
        }
        return crc
    }

    private static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }
}
