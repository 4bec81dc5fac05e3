import VerifyCore
#if canImport(Glibc)
import Glibc
#endif

/// Small reads at known offsets, beside the streaming source: zip end records, directories
/// and local headers, cpio headers read back for their checksum.
enum FileBytes {
    /// Exactly `count` bytes at `offset`, or nil (a short file, an I/O error).
    static func read(_ fd: Int32, at offset: Int64, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0 else { return nil }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return out
    }
}

extension UInt32 {
    /// "0x" and eight hex digits, as checksums are shown in findings.
    var hexWord: String { "0x" + Hex.encode(withUnsafeBytes(of: bigEndian) { Array($0) }) }
}
