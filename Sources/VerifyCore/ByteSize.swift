/// A byte size as people write it, in `verifyd.toml` and on `verifyctl`'s command line:
/// `1048576`, `512MiB`, `2GiB`, `2G` (binary, as systemd reads it), `500MB` (decimal).
public enum ByteSize {
    public enum Problem: Error, Sendable, Equatable {
        case notASize
        case outOfRange
    }

    public static func parse(_ text: String) -> Result<Int64, Problem> {
        let trimmed = text.filter { $0 != " " }
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count)
        let factors: [String: Double] = [
            "": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1_048_576, "mib": 1_048_576, "g": 1_073_741_824,
            "gib": 1_073_741_824, "t": 1_099_511_627_776, "tib": 1_099_511_627_776, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
        ]
        guard let value = Double(number), let factor = factors[unit.lowercased()] else { return .failure(.notASize) }
        let bytes = value * factor
        guard bytes >= 0, bytes < 9.2e18 else { return .failure(.outOfRange) }
        return .success(Int64(bytes))
    }
}
