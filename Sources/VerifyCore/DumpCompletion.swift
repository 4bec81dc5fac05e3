/// The text dumps verifyd recognises by their first lines.
public enum DumpProducer: String, Sendable, Equatable, CaseIterable {
    /// `pg_dump` in its plain (SQL) format.
    case pgDump = "pg_dump"
    /// `pg_dumpall`.
    case pgDumpall = "pg_dumpall"
    /// `mysqldump` or `mariadb-dump` (the same program and the same end).
    case mysqldump = "mysqldump/mariadb-dump"
    /// `pg_dump -Fc`: recognised by its `PGDMP` signature, not by text lines.
    case pgDumpCustom = "pg_dump custom format"

    /// The last line (without its comment dashes around it) the producer writes at its end.
    public var endMarker: String {
        switch self {
        case .pgDump: return "-- PostgreSQL database dump complete"
        case .pgDumpall: return "-- PostgreSQL database cluster dump complete"
        case .mysqldump: return "-- Dump completed"
        case .pgDumpCustom: return "a data block for every table of contents entry that has data"
        }
    }
}

/// Whether a text dump ended as its producer ends it. A dumper that dies midway (killed, out of
/// memory, connection lost) leaves a compressed file whose compression is whole: `gzip` at the
/// end of the pipe closes its stream cleanly. Only the dump's own last lines tell.
///
/// Recognised by the first lines (at most `headLimit` bytes):
/// - pg_dump plain: `-- PostgreSQL database dump`; ends with `-- PostgreSQL database dump complete`
///   and `--`, then (PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6 and later) `\unrestrict KEY`
///   with the key of the `\restrict KEY` line at its top.
/// - pg_dumpall: `-- PostgreSQL database cluster dump`; ends with
///   `-- PostgreSQL database cluster dump complete` and `--` (its databases' own pg_dump parts
///   end inside it, so they cannot end it).
/// - mysqldump and mariadb-dump: `-- MySQL dump ` or `-- MariaDB dump ` (after MariaDB's sandbox
///   line `/*M!999999\- enable the sandbox mode */`); the last line is `-- Dump completed on DATE`,
///   or `-- Dump completed` with `--skip-dump-date`. With `--skip-comments` (or `--compact`) a
///   dump has neither its first comment nor its last, and is not recognised: it is then a plain
///   stream, checked for its compression only.
public enum DumpCompletion {
    /// Bytes of the start and of the end of the stream the reader keeps for this.
    public static let headLimit = 4096
    public static let tailLimit = 4096
    /// Bytes of the end shown in a finding.
    public static let shownLimit = 120

    public enum Verdict: Sendable, Equatable {
        /// Not a dump verifyd recognises (a disk image, a CSV, `seq` output...).
        case notADump
        case complete(DumpProducer)
        /// The stream does not end as the producer ends it; `lastBytes` is its end, escaped.
        case truncated(DumpProducer, lastBytes: String)
    }

    /// The producer, from the first lines of the stream.
    public static func producer(head: [UInt8]) -> DumpProducer? {
        let lines = firstLines(head, count: 4)
        guard var first = lines.first else { return nil }
        var rest = lines.dropFirst()
        if first.hasPrefix("/*M!999999"), let next = rest.first {
            first = next
            rest = rest.dropFirst()
        }
        if first.hasPrefix("-- MySQL dump ") || first.hasPrefix("-- MariaDB dump ") { return .mysqldump }
        if first == "--", let second = rest.first {
            if second == "-- PostgreSQL database dump" { return .pgDump }
            if second == "-- PostgreSQL database cluster dump" { return .pgDumpall }
        }
        return nil
    }

    /// The verdict from the start of the stream and its end (the whole stream when short: the
    /// two may overlap).
    public static func inspect(head: [UInt8], tail: [UInt8]) -> Verdict {
        guard let producer = producer(head: head) else { return .notADump }
        return endsAsProduced(producer, head: head, tail: tail) ? .complete(producer) : .truncated(producer, lastBytes: shown(tail))
    }

    static func endsAsProduced(_ producer: DumpProducer, head: [UInt8], tail: [UInt8]) -> Bool {
        var lines = lastLines(tail)
        switch producer {
        case .pgDump:
            if let key = restrictKey(head) {
                guard lines.last == "\\unrestrict \(key)" else { return false }
                lines.removeLast()
            }
            return lines.suffix(2) == [producer.endMarker, "--"]
        case .pgDumpall:
            return lines.suffix(2) == [producer.endMarker, "--"]
        case .pgDumpCustom:
            return false
        case .mysqldump:
            guard let last = lines.last else { return false }
            return last == producer.endMarker || last.hasPrefix(producer.endMarker + " on ")
        }
    }

    /// The key of pg_dump's `\restrict KEY` line near its top, if it wrote one.
    static func restrictKey(_ head: [UInt8]) -> String? {
        for line in firstLines(head, count: 12) where line.hasPrefix("\\restrict ") {
            return String(line.dropFirst("\\restrict ".count))
        }
        return nil
    }

    /// The first `count` complete lines (a line cut by the end of `head` is not one).
    static func firstLines(_ head: [UInt8], count: Int) -> [String] {
        var lines = [String]()
        var start = head.startIndex
        while lines.count < count, let end = head[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = head[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            start = end + 1
        }
        return lines
    }

    /// The non-blank lines of the end, last last: a line must end in a newline to count (a
    /// dumper cut mid-line leaves a line without one, which is not its producer's last line).
    static func lastLines(_ tail: [UInt8]) -> [String] {
        guard tail.last == UInt8(ascii: "\n") else { return [] }
        return tail.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .map { line in String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self) }
            .filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
    }

    /// The last bytes of the stream for a person: control characters and bytes that are not
    /// UTF-8 escaped (`\n`, `\t`, `\xNN`), at most `shownLimit` bytes.
    public static func shown(_ tail: [UInt8]) -> String {
        let bytes = tail.suffix(shownLimit)
        var out = tail.count > shownLimit ? "…" : ""
        var rest = bytes[...]
        // A character cut at the start of the shown part is dropped, not escaped.
        if tail.count > shownLimit { while let first = rest.first, first & 0xC0 == 0x80 { rest = rest.dropFirst() } }
        while let byte = rest.first {
            let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0
            if length > 1, rest.count >= length, let text = String(validating: rest.prefix(length), as: UTF8.self),
               let scalar = text.unicodeScalars.first, !(0x80..<0xA0).contains(scalar.value) {
                out += text
                rest = rest.dropFirst(length)
                continue
            }
            switch byte {
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\t"): out += "\\t"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + String(byte, radix: 16).leftPadded(to: 2)
            }
            rest = rest.dropFirst()
        }
        return out
    }
}
