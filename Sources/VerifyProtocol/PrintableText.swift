/// Text made safe to show a person: names from a destination (archive and entry names) may hold
/// any byte, and printed raw, a line feed forges a line (or a mail header) and an ESC sequence
/// drives the reader's terminal. Every C0 and C1 control character, DEL, the Unicode line and
/// paragraph separators and the bidirectional overrides are written as escapes (`\n`, `\t`,
/// `\r`, `\x1b`, `\u{202e}`); everything else, non-ASCII letters included, is kept. JSON output
/// never goes through this: names there stay exact.
public enum PrintableText {
    /// `text` with every control character escaped; `text` itself when it has none.
    public static func escaped(_ text: String) -> String {
        // Most text is printable ASCII: one pass over the bytes decides.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                let hex = String(scalar.value, radix: 16)
                if scalar.value < 0x80 {
                    result += "\\x" + (hex.count < 2 ? "0" : "") + hex
                } else {
                    result += "\\u{" + hex + "}"
                }
            }
        }
        return result
    }

    /// True for the scalars that `escaped` rewrites.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true  // bidirectional controls
        default: false
        }
    }
}
