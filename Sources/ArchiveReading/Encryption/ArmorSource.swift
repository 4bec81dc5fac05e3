import Foundation

/// The bytes inside an ASCII armor (`-----BEGIN AGE ENCRYPTED FILE-----`, base64 lines, the
/// END line), decoded line by line as they are read. A line that is not base64, or a file
/// that ends before its END line, is damage at the offset of that line in the armored file.
final class ArmorSource: RawByteSource {
    private let input: EnvelopeInput
    private let label: String
    private var pending = Data()
    private var pendingPosition = 0
    private var begun = false
    private var ended = false
    private(set) var failure: String?
    private(set) var damage: DecryptionError?

    /// `label`: what the BEGIN and END lines name ("AGE ENCRYPTED FILE").
    init(_ source: any RawByteSource, label: String) {
        input = EnvelopeInput(source)
        self.label = label
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while pendingPosition == pending.count {
            if ended || failure != nil { return failure == nil ? 0 : -1 }
            do {
                try decodeLine()
            } catch {
                if case .damage = error.kind { damage = error }
                failure = error.message
                return -1
            }
        }
        let n = min(buffer.count, pending.count - pendingPosition)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + pendingPosition, byteCount: n) }
        pendingPosition += n
        return n
    }

    private func decodeLine() throws(DecryptionError) {
        let lineOffset = input.offset
        guard var line = try input.line(limit: 1024) else {
            throw .damage(at: lineOffset, "the armored file is truncated: it ends before its -----END \(label)----- line")
        }
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { line.removeLast() }
        let text = String(decoding: line, as: UTF8.self)
        if !begun {
            if text.isEmpty { return }
            guard text == "-----BEGIN \(label)-----" else { throw .damage(at: lineOffset, "the armor does not begin with -----BEGIN \(label)-----") }
            begun = true
            return
        }
        if text.hasPrefix("-----") {
            guard text == "-----END \(label)-----" else { throw .damage(at: lineOffset, "a malformed armor line where -----END \(label)----- was expected") }
            ended = true
            return
        }
        guard line.count <= 64, let bytes = Data(base64Encoded: text) else {
            throw .damage(at: lineOffset, "the armor line at byte \(lineOffset) is not base64 of at most 64 columns")
        }
        pending = bytes
        pendingPosition = 0
    }
}
