import VerifyProtocol

/// Text made safe for an HTML page: control characters shown escaped (as the terminal output
/// shows them), then `& < > " '` as entities, so a name from a destination can never become
/// markup, a script or an attribute.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in PrintableText.escaped(text) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
