/// The name of an entry, as raw bytes, compared the way verifyd compares names.
///
/// Archive and manifest names are both normalised the same way: relative, `/`-separated,
/// with any leading `/` and `./` components and any trailing `/` dropped. Names are kept as
/// bytes so that names that are not valid UTF-8 still match byte for byte.
public struct EntryPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The normalised bytes of the name.
    public let bytes: [UInt8]

    /// Hashes the bytes in one call (the synthesised hash feeds them one at a time, which was
    /// the largest single cost of looking 16,000 names up in a manifest).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: EntryPath, rhs: EntryPath) -> Bool { lhs.bytes == rhs.bytes }

    /// Makes a path from raw bytes, normalising it.
    public init<Bytes: Collection>(normalizing raw: Bytes) where Bytes.Element == UInt8 {
        self.bytes = EntryPath.normalize(Array(raw))
    }

    /// Keeps the bytes as they are (for symlink targets, which are not names of entries).
    public init(unnormalized bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Makes a path from a string, normalising it.
    public init(_ string: String) {
        self.init(normalizing: Array(string.utf8))
    }

    /// The name as text, when its bytes are valid UTF-8.
    public var string: String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// The name for people: valid UTF-8 as is, other bytes as `\xNN`.
    public var description: String {
        if let string { return string }
        var out = ""
        var rest = bytes[...]
        while !rest.isEmpty {
            // Take the longest valid UTF-8 prefix, escape one byte, go on.
            var end = rest.endIndex
            while end > rest.startIndex, String(validating: rest[rest.startIndex..<end], as: UTF8.self) == nil {
                end -= 1
            }
            if end > rest.startIndex {
                out += String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
                rest = rest[end...]
            } else {
                let byte = rest.first!
                out += "\\x" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
                rest = rest.dropFirst()
            }
        }
        return out
    }

    /// The number of `/`-separated components.
    public var componentCount: Int {
        bytes.isEmpty ? 0 : bytes.reduce(1) { $0 + ($1 == UInt8(ascii: "/") ? 1 : 0) }
    }

    /// The path without its first `count` components, or nil when it has no more than that
    /// (as `tar --strip-components` skips such entries).
    public func strippingComponents(_ count: Int) -> EntryPath? {
        guard count > 0 else { return self }
        var rest = bytes[...]
        for _ in 0..<count {
            guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return nil }
            rest = rest[(slash + 1)...]
        }
        let stripped = EntryPath(normalizing: rest)
        return stripped.bytes.isEmpty ? nil : stripped
    }

    public static func < (lhs: EntryPath, rhs: EntryPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    static func normalize(_ raw: [UInt8]) -> [UInt8] {
        let range = raw.withUnsafeBufferPointer { normalizedRange($0) }
        if range.count == raw.count { return raw }
        return Array(raw[range])
    }

    /// Where the normalised name lies in `raw`: without leading `/` and `./` components and
    /// trailing `/`s (a name of only those is empty).
    static func normalizedRange(_ raw: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var start = 0
        var end = raw.count
        while start < end {
            if raw[start] == slash {
                start += 1
            } else if raw[start] == dot, start + 1 < end, raw[start + 1] == slash {
                start += 2
            } else if raw[start] == dot, start + 1 == end {
                start += 1
            } else {
                break
            }
        }
        while end > start, raw[end - 1] == slash { end -= 1 }
        return start..<end
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
