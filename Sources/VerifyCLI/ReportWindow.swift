/// `--since`: how far back a report reaches, as `30d`, `2w`, `12h`, `90m` or a number of
/// seconds. Pure, so that its errors are tested without a daemon.
enum ReportWindow {
    /// The window in seconds, or a message naming what is wrong.
    static func seconds(_ text: String) -> Result<Double, ReportWindowError> {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 7 * 86_400]
        var digits = Substring(text)
        var scale = 1.0
        if let last = text.last, let unit = units[last] {
            digits = digits.dropLast()
            scale = unit
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Double(digits), value.isFinite, value > 0 else {
            return .failure(ReportWindowError(text: text))
        }
        return .success(min(value * scale, 400 * 86_400))
    }
}

struct ReportWindowError: Error, CustomStringConvertible {
    var text: String
    var description: String {
        "--since \"\(text.printable)\": not a duration (a positive number with s, m, h, d or w, as 30d; at most 400d)"
    }
}
