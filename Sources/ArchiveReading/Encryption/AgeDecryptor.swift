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
    private var cipher: [UInt8] = []
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
        var nonce: [UInt8] = []
        try input.read(16, into: &nonce)
        guard nonce.count == 16 else { throw .damage(at: input.offset, "the age file is truncated: it ends before its payload nonce") }
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
        cipher.reserveCapacity(Self.chunkSize + Self.tagSize)
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
        try input.read(full, into: &cipher)
        var last = cipher.count < full
        if !last { last = try input.isAtEnd() }
        guard cipher.count > Self.tagSize || cipher.count == Self.tagSize && counter == 0 else {
            if cipher.isEmpty {
                throw .damage(at: chunkOffset, "the age file is truncated: it ends after chunk \(counter) (byte \(chunkOffset)) without its final chunk")
            }
            throw .damage(at: chunkOffset, "the age file is truncated: its chunk \(counter) at byte \(chunkOffset) has \(cipher.count) bytes")
        }
        if let opened = open(last: last) {
            plain = opened
        } else if last, cipher.count == full, open(last: false) != nil {
            throw .damage(at: input.offset, "the age file is truncated: it ends after chunk \(counter) (byte \(input.offset)) without its final chunk")
        } else {
            let end = chunkOffset + Int64(cipher.count)
            throw .damage(at: chunkOffset, "age chunk \(counter) (bytes \(chunkOffset)..<\(end)) fails authentication: the file was changed or truncated there")
        }
        plainPosition = 0
        counter += 1
        finished = last
        return true
    }

    private func open(last: Bool) -> Data? {
        var nonce = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { nonce[10 - index] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * index)) }
        nonce[11] = last ? 1 : 0
        let split = cipher.count - Self.tagSize
        guard let nonceValue = try? ChaChaPoly.Nonce(data: nonce),
              let box = try? ChaChaPoly.SealedBox(nonce: nonceValue, ciphertext: cipher[..<split], tag: cipher[split...])
        else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }
}
