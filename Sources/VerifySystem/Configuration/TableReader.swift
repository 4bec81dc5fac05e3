import Foundation
import TOMLKit
import VerifyCore

/// Reads typed keys from one TOML table and remembers which keys were read, so the rest can be
/// reported as unknown.
struct TableReader {
    let table: TOMLTable
    let file: String
    let prefix: String
    private(set) var used: Set<String> = []

    init(table: TOMLTable, file: String, prefix: String) {
        self.table = table
        self.file = file
        self.prefix = prefix
    }

    func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, key: prefix + key, message: message)
    }

    private mutating func value(_ key: String) -> TOMLValueConvertible? {
        used.insert(key)
        return table[key]
    }

    private func typeError(_ key: String, _ expected: String, _ value: TOMLValueConvertible) -> ConfigurationError {
        error(key, "must be \(expected), not \(value.type)")
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw typeError(key, "a string", value) }
        return string
    }

    /// Whether the key holds exactly this string (a keyword such as "off"); marks the key as read.
    mutating func isString(_ key: String, equalTo keyword: String) throws(ConfigurationError) -> Bool {
        guard let value = value(key) else { return false }
        return value.string == keyword
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.bool else { throw typeError(key, "true or false", value) }
        return bool
    }

    mutating func integer(_ key: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        guard value.type == .int, let int = value.int else { throw typeError(key, "an integer", value) }
        guard range.contains(int) else { throw error(key, "\(int) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return int
    }

    mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = value(key) else { return nil }
        if let single = value.string { return [single] }
        guard let array = value.array else { throw typeError(key, "a string or an array of strings", value) }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.string else { throw error("\(key)[\(index + 1)]", "must be a string, not \(element.type)") }
            result.append(string)
        }
        return result
    }

    mutating func table(_ key: String) throws(ConfigurationError) -> TOMLTable? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw error(key, "must be a table: write it as [\(key)]") }
        return table
    }

    mutating func tables(_ key: String) throws(ConfigurationError) -> [TOMLTable] {
        guard let value = value(key) else { return [] }
        guard let array = value.array else {
            throw error(key, "must be an array of tables: write each destination as [[\(key)]]")
        }
        var result: [TOMLTable] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else { throw error("\(key)[\(index + 1)]", "must be a table") }
            result.append(table)
        }
        return result
    }

    /// A duration given as a string ("15m") or as a number of seconds.
    mutating func duration(_ key: String) throws(ConfigurationError) -> Double? {
        try parsed(key, expected: "a duration such as \"15m\" or a number of seconds", numbers: true, ConfigurationValues.duration)
    }

    /// A size given as a string ("2GiB") or as a number of bytes.
    mutating func size(_ key: String) throws(ConfigurationError) -> Int64? {
        try parsed(key, expected: "a size such as \"2GiB\" or a number of bytes", numbers: false, ConfigurationValues.byteSize)
    }

    mutating func sample(_ key: String) throws(ConfigurationError) -> SamplePolicy? {
        try parsed(key, expected: "\"all\", an entry count, a percentage or a byte budget", numbers: false, ConfigurationValues.samplePolicy)
    }

    /// A value written as a string in its own syntax, or as an integer (or, with `numbers`, a
    /// floating-point number), handed to `parse`.
    private mutating func parsed<T>(
        _ key: String, expected: String, numbers: Bool, _ parse: (String) -> Result<T, ValueProblem>
    ) throws(ConfigurationError) -> T? {
        guard let value = value(key) else { return nil }
        let text: String
        if let string = value.string {
            text = string
        } else if value.type == .int, let int = value.int {
            text = String(int)
        } else if numbers, let double = value.double {
            text = String(double)
        } else {
            throw typeError(key, expected, value)
        }
        switch parse(text) {
        case .success(let result): return result
        case .failure(let problem): throw error(key, problem.message)
        }
    }

    func absolutePath(_ path: String, key: String) throws(ConfigurationError) -> String {
        guard path.hasPrefix("/") else { throw error(key, "\"\(path)\" must be an absolute path") }
        // One spelling per folder ("//", "/./", "/x/.." and trailing slashes removed), so paths
        // given to `verifyctl verify` compare equal.
        return (path as NSString).standardizingPath
    }

    func rejectUnknownKeys() throws(ConfigurationError) {
        for key in table.keys.sorted() where !used.contains(key) {
            throw error(key, "unknown key (check its spelling in docs/configuration.md)")
        }
    }
}
