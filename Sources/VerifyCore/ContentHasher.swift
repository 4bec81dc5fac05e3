import Crypto

/// Folds the chunks of one entry (or of a whole file) into digests of one or more algorithms,
/// and counts the bytes.
///
/// Each algorithm has its own optional field, so an update mutates the hash state in place
/// (no copy of the state per chunk).
public struct ContentHasher: Sendable {
    private var md5: Insecure.MD5?
    private var sha1: Insecure.SHA1?
    private var sha256: SHA256?
    private var sha384: SHA384?
    private var sha512: SHA512?
    private var blake2b: Blake2b?
    private var crc32c: CRC32C?
    private var sha224: SHA224?
    /// The algorithms computed, strongest last.
    public let algorithms: [DigestAlgorithm]
    /// Bytes folded in so far.
    public private(set) var byteCount: Int64 = 0

    /// A hasher for these algorithms; with none, it only counts bytes. `crc32c` is the CRC-32C
    /// kernel (ArchiveReading passes ISA-L's hardware one).
    public init(algorithms: some Sequence<DigestAlgorithm>, crc32c kernel: @escaping CRC32C.Update = CRC32C.software) {
        let given = Array(algorithms)
        // One algorithm is the usual case: no set to build for it, once per entry.
        self.algorithms = given.count <= 1 ? given : Set(given).sorted()
        for algorithm in self.algorithms {
            switch algorithm {
            case .md5: md5 = Insecure.MD5()
            case .sha1: sha1 = Insecure.SHA1()
            case .sha256: sha256 = SHA256()
            case .sha384: sha384 = SHA384()
            case .sha512: sha512 = SHA512()
            case .blake2b: blake2b = Blake2b()
            case .crc32c: crc32c = CRC32C(update: kernel)
            case .sha224: sha224 = SHA224()
            }
        }
    }

    /// Whether any digest is computed (otherwise bytes are only counted).
    public var computesDigests: Bool { !algorithms.isEmpty }

    /// Folds in a chunk.
    public mutating func update(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty else { return }
        byteCount += Int64(chunk.count)
        if sha256 != nil { sha256!.update(bufferPointer: chunk) }
        if algorithms.count == 1, sha256 != nil { return }
        if md5 != nil { md5!.update(bufferPointer: chunk) }
        if sha1 != nil { sha1!.update(bufferPointer: chunk) }
        if sha384 != nil { sha384!.update(bufferPointer: chunk) }
        if sha512 != nil { sha512!.update(bufferPointer: chunk) }
        if blake2b != nil { blake2b!.update(bufferPointer: chunk) }
        if crc32c != nil { crc32c!.update(chunk) }
        if sha224 != nil { sha224!.update(bufferPointer: chunk) }
    }

    /// Folds in `count` zero bytes (the holes of a sparse entry).
    public mutating func updateZeros(count: Int64) {
        guard count > 0 else { return }
        ContentHasher.zeros.withUnsafeBytes { zeros in
            var left = count
            while left > 0 {
                let n = Int(min(left, Int64(zeros.count)))
                update(UnsafeRawBufferPointer(rebasing: zeros[0..<n]))
                left -= Int64(n)
            }
        }
    }

    private static let zeros = [UInt8](repeating: 0, count: 1 << 16)

    /// The digests, one per algorithm, strongest last.
    public func finalize() -> [Digest] {
        algorithms.map { algorithm in
            switch algorithm {
            case .md5: Digest(algorithm: .md5, bytes: Array(md5!.finalize()))
            case .sha1: Digest(algorithm: .sha1, bytes: Array(sha1!.finalize()))
            case .sha256: Digest(algorithm: .sha256, bytes: Array(sha256!.finalize()))
            case .sha384: Digest(algorithm: .sha384, bytes: Array(sha384!.finalize()))
            case .sha512: Digest(algorithm: .sha512, bytes: Array(sha512!.finalize()))
            case .blake2b: Digest(algorithm: .blake2b, bytes: blake2b!.finalize())
            case .crc32c: Digest(algorithm: .crc32c, bytes: crc32c!.digestBytes)
            case .sha224: Digest(algorithm: .sha224, bytes: sha224!.finalize())
            }
        }
    }
}
