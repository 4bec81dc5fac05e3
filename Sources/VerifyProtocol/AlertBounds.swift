/// The size limits of an alert's fields, applied when the alert is made. An alert carries names
/// from a destination (archive and entry names, an error's text), and one hostile name must not
/// make it too large to deliver: over 128 KiB, a hook cannot be started with it in its
/// environment; over a datagram socket's limit it cannot be pushed at all. With these limits a
/// whole alert, as its JSON line, stays under `maxEncodedBytes` (about 40 KiB at worst).
public enum AlertBounds {
    /// An archive, entry or destination name, in bytes as JSON encodes it.
    public static let nameBytes = 512
    /// The summary line.
    public static let summaryBytes = 1024
    /// A failure's expected or actual value (digests, sizes, a reader's message).
    public static let valueBytes = 256
    /// A failure's kind.
    public static let kindBytes = 64
    /// What a whole alert line may take; checked by the tests.
    public static let maxEncodedBytes = 48 << 10

    /// `text` cut to at most `limit` bytes as JSON encodes it (a control character counts six:
    /// `\u001b`), keeping its start and its end (the end of a path is its file name) with a
    /// visible marker between: `head…[1234 bytes cut]…tail`. Shorter text is returned as it is.
    public static func cut(_ text: String, to limit: Int) -> String {
        // Work in proportion to `limit`, not to the text: a name may be megabytes long.
        var total = 0
        for scalar in text.unicodeScalars {
            total += weight(scalar)
            if total > limit { break }
        }
        guard total > limit else { return text }
        let marker = "…[\(text.utf8.count) bytes, cut]…"
        let room = max(0, limit - marker.utf8.count)
        var head = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            guard used + weight(scalar) <= room * 2 / 3 else { break }
            used += weight(scalar)
            head.append(scalar)
        }
        // Head and tail never meet: together they weigh less than the whole.
        var tail: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars.reversed() {
            guard used + weight(scalar) <= room else { break }
            used += weight(scalar)
            tail.append(scalar)
        }
        head.append(contentsOf: marker.unicodeScalars)
        head.append(contentsOf: tail.reversed())
        return String(head)
    }

    public static func cut(_ text: String?, to limit: Int) -> String? {
        text.map { cut($0, to: limit) }
    }

    /// Bytes of one scalar inside a JSON string.
    static func weight(_ scalar: Unicode.Scalar) -> Int {
        switch scalar.value {
        case 0x22, 0x5C, 0x08, 0x09, 0x0A, 0x0C, 0x0D: 2
        case 0x00...0x1F: 6
        default: UTF8.width(scalar)
        }
    }

    /// A failure with each field bounded.
    public static func bounded(_ failure: FailureSummary) -> FailureSummary {
        FailureSummary(
            path: cut(failure.path, to: nameBytes), kind: cut(failure.kind, to: kindBytes),
            expected: cut(failure.expected, to: valueBytes), actual: cut(failure.actual, to: valueBytes))
    }
}
