/// The header of an age-encryption.org/v1 file: its recipient stanzas and its MAC.
///
///     age-encryption.org/v1
///     -> X25519 <ephemeral share>
///     <body, base64, 64 columns, the last line shorter (maybe empty)>
///     --- <HMAC-SHA-256 of the header up to and including "---">
///
/// Every problem is damage at the offset of the line it is in.
struct AgeHeader {
    struct Stanza {
        var type: String
        var arguments: [String]
        var body: [UInt8]
        /// Offset of its first line, for messages.
        var offset: Int64
    }

    static let versionLine = Array("age-encryption.org/v1".utf8)
    /// Most stanzas, and most bytes of header, accepted (age's own header is a few hundred bytes
    /// per recipient).
    static let stanzaLimit = 4096
    static let byteLimit = 1 << 20

    var stanzas: [Stanza] = []
    var mac: [UInt8] = []
    /// The bytes the MAC covers.
    var macInput: [UInt8] = []
    /// Offset of the MAC line.
    var macOffset: Int64 = 0

    /// Reads the header from `input`, leaving it at the payload's nonce.
    static func read(from input: EnvelopeInput) throws(DecryptionError) -> AgeHeader {
        var header = AgeHeader()
        guard let version = try input.line(limit: 256), version == versionLine else {
            throw .damage(at: 0, "not an age-encryption.org/v1 header (its first line is not \"age-encryption.org/v1\")")
        }
        header.macInput = version + [UInt8(ascii: "\n")]
        while true {
            let lineOffset = input.offset
            guard let line = try input.line(limit: 256) else { throw .damage(at: lineOffset, "the age header is truncated (no \"---\" line)") }
            guard header.macInput.count < byteLimit, header.stanzas.count < stanzaLimit else {
                throw .damage(at: lineOffset, "the age header is longer than \(byteLimit) bytes or \(stanzaLimit) stanzas")
            }
            if line.starts(with: Array("--- ".utf8)) {
                guard let mac = AgeBase64.decode(line.dropFirst(4)), mac.count == 32 else {
                    throw .damage(at: lineOffset, "the age header's MAC line is malformed")
                }
                header.mac = mac
                header.macInput += Array("---".utf8)
                header.macOffset = lineOffset
                return header
            }
            guard line.starts(with: Array("-> ".utf8)) else { throw .damage(at: lineOffset, "a malformed age header line (neither a stanza nor the MAC)") }
            header.macInput += line + [UInt8(ascii: "\n")]
            let words = line.dropFirst(3).split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard let type = words.first, !words.contains(where: \.isEmpty) else { throw .damage(at: lineOffset, "a malformed age stanza line") }
            var stanza = Stanza(type: String(decoding: type, as: UTF8.self), arguments: words.dropFirst().map { String(decoding: $0, as: UTF8.self) }, body: [], offset: lineOffset)
            stanza.body = try body(from: input, macInput: &header.macInput)
            header.stanzas.append(stanza)
        }
    }

    /// A stanza's body: base64 lines of 64 characters, ended by a shorter one.
    private static func body(from input: EnvelopeInput, macInput: inout [UInt8]) throws(DecryptionError) -> [UInt8] {
        var text: [UInt8] = []
        while true {
            let lineOffset = input.offset
            guard let line = try input.line(limit: 256) else { throw .damage(at: lineOffset, "the age header is truncated inside a stanza") }
            guard line.count <= 64 else { throw .damage(at: lineOffset, "an age stanza body line longer than 64 columns") }
            macInput += line + [UInt8(ascii: "\n")]
            text += line
            if line.count < 64 {
                guard let bytes = AgeBase64.decode(text) else { throw .damage(at: lineOffset, "an age stanza body is not valid base64") }
                return bytes
            }
            guard macInput.count < byteLimit else { throw .damage(at: lineOffset, "the age header is longer than \(byteLimit) bytes") }
        }
    }
}
