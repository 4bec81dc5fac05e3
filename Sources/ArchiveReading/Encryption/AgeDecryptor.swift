import Crypto
import Foundation

/// Decrypts an age-encryption.org/v1 file in order: the header is read and its file key
/// unwrapped when it is made, then the payload chunk by chunk (64 KiB of plaintext and a
/// 16-byte Poly1305 tag each, the last chunk flagged in its nonce). Only authenticated bytes
/// are handed on: a chunk that fails stops the stream with its offset (`failure`).
final class AgeDecryptor: ByteProducer {
    static let chunkSize = 64 << 10
    static let tagSize = 16

    private let input: EnvelopeInput
    private let key: SymmetricKey
    private var counter: UInt64 = 0
    /// The chunk being opened: room for the 12-byte nonce, then the ciphertext and its tag
    /// (ChaChaPoly's "combined" layout, handed over in one copy).
    private var chunk = [UInt8](repeating: 0, count: 12 + chunkSize + tagSize)
    private var cipherCount = 0
    private var plain = Data()
    private var plainPosition = 0
    private var finished = false
    /// Why the payload stopped, once it did (damage or an I/O error).
    private(set) var failure: DecryptionError?
    var failureMessage: String? { failure?.message }

    /// Reads and checks the header (stanzas, file key, MAC) and the payload's nonce.
    init(input: EnvelopeInput, keys: AgeKeys) throws(DecryptionError) {
        self.input = input
        let header = try AgeHeader.read(from: input)
        let fileKey = SymmetricKey(data: try AgeFileKey.unwrap(header, keys: keys))
        let macKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: [UInt8](), info: Array("header".utf8), outputByteCount: 32)
        guard HMAC<SHA256>.isValidAuthenticationCode(header.mac, authenticating: header.macInput, using: macKey) else {
            throw .damage(at: header.macOffset, "the age header's MAC does not match: the header was changed")
        }
        let nonce = try input.read(16)
        guard nonce.count == 16 else { throw .damage(at: input.offset, "the age file is truncated: it ends before its payload nonce") }
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
    }

    /// The next decrypted bytes: their count, 0 at the end, -1 on damage or I/O (`failure`).
    func produce(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while plainPosition == plain.count {
            if failure != nil { return -1 }
            do {
                guard try nextChunk() else { return 0 }
            } catch {
                failure = error
                return -1
            }
        }
        let n = min(buffer.count, plain.count - plainPosition)
        plain.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + plainPosition, byteCount: n) }
        plainPosition += n
        return n
    }

    /// Decrypts the next chunk into `plain`: false after the last one.
    private func nextChunk() throws(DecryptionError) -> Bool {
        guard !finished else { return false }
        let full = Self.chunkSize + Self.tagSize
        let chunkOffset = input.offset
        var readFailure: DecryptionError?
        cipherCount = chunk.withUnsafeMutableBytes { bytes in
            do throws(DecryptionError) {
                return try input.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[12...]))
            } catch {
                readFailure = error
                return 0
            }
        }
        if let readFailure { throw readFailure }
        var last = cipherCount < full
        if !last { last = try input.isAtEnd() }
        guard cipherCount > Self.tagSize || cipherCount == Self.tagSize && counter == 0 else {
            if cipherCount == 0 {
                throw .damage(at: chunkOffset, "the age file is truncated: it ends after chunk \(counter) (byte \(chunkOffset)) without its final chunk")
            }
            throw .damage(at: chunkOffset, "the age file is truncated: its chunk \(counter) at byte \(chunkOffset) has \(cipherCount) bytes")
        }
        if let opened = open(last: last) {
            plain = opened
        } else if last, cipherCount == full, open(last: false) != nil {
            throw .damage(at: input.offset, "the age file is truncated: it ends after chunk \(counter) (byte \(input.offset)) without its final chunk")
        } else {
            let end = chunkOffset + Int64(cipherCount)
            throw .damage(at: chunkOffset, "age chunk \(counter) (bytes \(chunkOffset)..<\(end)) fails authentication: the file was changed or truncated there")
        }
        plainPosition = 0
        counter += 1
        finished = last
        return true
    }

    private func open(last: Bool) -> Data? {
        for index in 0..<8 { chunk[10 - index] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * index)) }
        chunk[0] = 0
        chunk[1] = 0
        chunk[2] = 0
        chunk[11] = last ? 1 : 0
        guard let box = try? ChaChaPoly.SealedBox(combined: Data(chunk[..<(12 + cipherCount)])) else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }
}
