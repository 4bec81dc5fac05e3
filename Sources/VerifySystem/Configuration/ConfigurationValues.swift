import VerifyCore

/// Parsers for the value syntaxes of `verifyd.toml`: durations, byte sizes and sample policies.
/// Each returns the value or a message saying what is expected.
public enum ConfigurationValues {
    /// `90` (seconds), `"90s"`, `"15m"`, `"2h"`, `"7d"`, `"2w"`, `"500ms"`, or sums such as `"1h30m"`.
    public static func duration(_ text: String) -> Result<Double, ValueProblem> {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800)]
        let trimmed = text.filter { $0 != " " }
        guard !trimmed.isEmpty else { return .failure(.init("is empty; expected a duration such as \"90s\", \"15m\", \"26h\" or \"7d\"")) }
        if let seconds = Double(trimmed), seconds.isFinite { return seconds >= 0 ? .success(seconds) : .failure(.init("must not be negative")) }
        var total = 0.0
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else {
                return .failure(.init("\"\(text)\" is not a duration; expected a number with a unit (ms, s, m, h, d, w), such as \"90s\", \"26h\" or \"1h30m\""))
            }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            guard let factor = units.first(where: { $0.0 == unit.lowercased() })?.1 else {
                return .failure(.init("\"\(text)\" has an unknown unit \"\(unit)\"; use ms, s, m, h, d or w"))
            }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        return .success(total)
    }

    /// `1048576`, `"512MiB"`, `"2GiB"`, `"2G"` (binary, as systemd reads it), `"500MB"` (decimal).
    public static func byteSize(_ text: String) -> Result<Int64, ValueProblem> {
        let trimmed = text.filter { $0 != " " }
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count)
        let factors: [String: Double] = [
            "": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1_048_576, "mib": 1_048_576, "g": 1_073_741_824,
            "gib": 1_073_741_824, "t": 1_099_511_627_776, "tib": 1_099_511_627_776, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
        ]
        guard let value = Double(number), let factor = factors[unit.lowercased()] else {
            return .failure(.init("\"\(text)\" is not a size; expected bytes or a number with a unit such as \"512MiB\", \"2GiB\" or \"500MB\""))
        }
        let bytes = value * factor
        guard bytes >= 0, bytes < 9.2e18 else { return .failure(.init("\"\(text)\" is out of range")) }
        return .success(Int64(bytes))
    }

    /// `"all"`, a count (`500`), a percentage (`"10%"`) or a byte budget (`"2GiB"`).
    public static func samplePolicy(_ text: String) -> Result<SamplePolicy, ValueProblem> {
        let trimmed = text.filter { $0 != " " }
        if trimmed.lowercased() == "all" { return .success(.all) }
        if trimmed.hasSuffix("%") {
            guard let percent = Double(trimmed.dropLast()), (0...100).contains(percent) else {
                return .failure(.init("\"\(text)\" is not a percentage from 0% to 100%"))
            }
            return .success(.percent(percent))
        }
        if let count = Int(trimmed) {
            return count >= 0 ? .success(.count(count)) : .failure(.init("an entry count must not be negative"))
        }
        if case .success(let bytes) = byteSize(trimmed), trimmed.contains(where: \.isLetter) {
            return .success(.bytes(bytes))
        }
        return .failure(.init("\"\(text)\" is not a sample; expected \"all\", an entry count (500), a percentage (\"10%\") or a byte budget (\"2GiB\")"))
    }
}

/// What is wrong with a value.
public struct ValueProblem: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
