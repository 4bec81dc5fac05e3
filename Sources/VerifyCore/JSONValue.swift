/// A JSON value, with a small parser that remembers line numbers (for manifest errors) and a
/// writer that keeps key order (for stable output). No Foundation needed.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    /// Keys in the order written; `line` is where the object starts (1-based; 0 when built in code).
    case object([(String, JSONValue)], line: Int)

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.integer(a), .integer(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a, _), .object(b, _)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    /// An object built in code.
    public static func object(_ members: [(String, JSONValue)]) -> JSONValue { .object(members, line: 0) }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members, _) = self { return members.first(where: { $0.0 == key })?.1 }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var integerValue: Int64? {
        switch self {
        case .integer(let i): i
        case .number(let d) where d.rounded() == d && abs(d) < 9e15: Int64(d)
        default: nil
        }
    }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
}

/// Where and why JSON text could not be parsed.
public struct JSONSyntaxError: Error, Sendable {
    public var line: Int
    public var message: String
}

extension JSONValue {
    /// Parses one JSON document.
    public static func parse(_ text: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: text)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == text.count else { throw parser.fail("unexpected text after the JSON document") }
        return value
    }

    /// Compact JSON text, keys in order.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, pretty: pretty)
        return out
    }

    /// Writes the JSON text to a stream, so that a large document need not be one string.
    public func write<Out: TextOutputStream>(to out: inout Out, pretty: Bool = false) {
        write(to: &out, pretty: pretty, indent: 0)
    }

    /// Writes `"key":`, for an object written piece by piece.
    public static func writeKey<Out: TextOutputStream>(_ key: String, to out: inout Out) {
        writeString(key, to: &out)
        out.write(":")
    }

    private func write<Out: TextOutputStream>(to out: inout Out, pretty: Bool, indent: Int) {
        switch self {
        case .null: out.write("null")
        case .bool(let b): out.write(b ? "true" : "false")
        case .integer(let i): out.write(String(i))
        case .number(let d):
            if d.isFinite { out.write(d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)) } else { out.write("null") }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out.write("[]"); return }
            out.write("[")
            for (i, item) in items.enumerated() {
                if i > 0 { out.write(",") }
                if pretty { out.write("\n" + String(repeating: "  ", count: indent + 1)) }
                item.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out.write("\n" + String(repeating: "  ", count: indent)) }
            out.write("]")
        case .object(let members, _):
            if members.isEmpty { out.write("{}"); return }
            out.write("{")
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.write(",") }
                if pretty { out.write("\n" + String(repeating: "  ", count: indent + 1)) }
                JSONValue.writeString(key, to: &out)
                out.write(pretty ? ": " : ":")
                value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out.write("\n" + String(repeating: "  ", count: indent)) }
            out.write("}")
        }
    }

    private static func writeString<Out: TextOutputStream>(_ s: String, to out: inout Out) {
        // Most strings need no escape: written whole, not a scalar at a time.
        var text = s
        let plain = text.withUTF8 { bytes in
            !bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        }
        if plain {
            out.write("\"")
            out.write(s)
            out.write("\"")
            return
        }
        var escaped = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20:
                escaped += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        escaped += "\""
        out.write(escaped)
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var line = 1

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(line: line, message: message) }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x0a: line += 1; index += 1
            case 0x20, 0x09, 0x0d: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < 64 else { throw fail("JSON nested too deeply") }
        guard index < bytes.count else { throw fail("unexpected end of the JSON text") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            let start = line
            index += 1
            var members = [(String, JSONValue)]()
            skipSpace()
            if peek(UInt8(ascii: "}")) { index += 1; return .object(members, line: start) }
            while true {
                skipSpace()
                guard peek(UInt8(ascii: "\"")) else { throw fail("expected a key in quotes") }
                let key = try string()
                skipSpace()
                guard peek(UInt8(ascii: ":")) else { throw fail("expected \":\" after the key \"\(key)\"") }
                index += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                if peek(UInt8(ascii: ",")) { index += 1; continue }
                if peek(UInt8(ascii: "}")) { index += 1; return .object(members, line: start) }
                throw fail("expected \",\" or \"}\" in an object")
            }
        case UInt8(ascii: "["):
            index += 1
            var items = [JSONValue]()
            skipSpace()
            if peek(UInt8(ascii: "]")) { index += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                if peek(UInt8(ascii: ",")) { index += 1; continue }
                if peek(UInt8(ascii: "]")) { index += 1; return .array(items) }
                throw fail("expected \",\" or \"]\" in an array")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try number()
        }
    }

    func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let utf8 = Array(word.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
            throw fail("unexpected text (expected \(word))")
        }
        index += utf8.count
    }

    mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if let integer = Int64(text) { return .integer(integer) }
        if let double = Double(text), !text.isEmpty { return .number(double) }
        throw fail(text.isEmpty ? "unexpected character \"\(Character(Unicode.Scalar(bytes[index])))\"" : "\"\(text)\" is not a number")
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw fail("unterminated string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard peek(UInt8(ascii: "\\")), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in a string")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out += Array(String(s).utf8)
                default: throw fail("invalid escape in a string")
                }
            case 0x0a: throw fail("a newline inside a string")
            default: out.append(byte)
            }
        }
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
            throw fail("invalid \\u escape")
        }
        index += 4
        return value
    }
}
