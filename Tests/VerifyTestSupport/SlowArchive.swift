import Foundation

/// A small file that takes long to verify: a `.tar.gz` whose entries are gigabytes of zeros,
/// written as many gzip members that each inflate 64 MiB of zeros (made once by the real
/// `gzip`). Verifying it hashes every byte, so a run lasts long enough to kill or stop the
/// daemon in the middle of it.
public enum SlowArchive {
    /// sha256 of 1 GiB of zeros.
    public static let oneGiBZerosSHA256 = "49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14"

    /// Writes `ARCHIVE` (entries `zero0`... of 4 GiB each) and `ARCHIVE.sha256` listing them.
    /// The manifest's digests are deliberately wrong: the run is never meant to finish. With
    /// `gibibytesPerEntry: 1`, the digests are right and the archive passes.
    public static func make(at path: String, entries: Int = 4, gibibytesPerEntry: Int = 4) throws {
        let member = try Tool.must(["sh", "-c", "head -c 67108864 /dev/zero | gzip -1"]).stdoutBytes
        let size = Int64(gibibytesPerEntry) << 30
        var archive = Data()
        var manifest = ""
        for index in 0..<entries {
            archive.append(contentsOf: try gzip(ustarHeader(name: "zero\(index)", size: size)))
            for _ in 0..<(16 * gibibytesPerEntry) { archive.append(contentsOf: member) }
            let digest = gibibytesPerEntry == 1 ? oneGiBZerosSHA256 : String(repeating: "0", count: 64)
            manifest += digest + "  zero\(index)\n"
        }
        archive.append(contentsOf: try gzip([UInt8](repeating: 0, count: 1024)))
        try archive.write(to: URL(fileURLWithPath: path))
        try manifest.write(toFile: path + ".sha256", atomically: true, encoding: .utf8)
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        try Tool.run(["gzip", "-1", "-c"], input: bytes).stdoutBytes
    }

    /// A ustar header for a regular file (sizes below 8 GiB).
    public static func ustarHeader(name: String, size: Int64) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int64, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(1_700_000_000, width: 12), at: 136)
        put("        ", at: 148)
        put("0", at: 156)
        put("ustar", at: 257)
        put("00", at: 263)
        let sum = header.reduce(0) { $0 + Int64($1) }
        put(octal(sum, width: 7), at: 148)
        header[155] = 0x20
        return header
    }
}
