import Foundation

/// A path built from an archive's path: `{archive}` (the archive's full path), `{dir}` (its
/// folder), `{name}` (its file name) and `{stem}` (the file name without its archive extensions).
public struct PathTemplate: Sendable, Equatable {
    public static let placeholders = ["{archive}", "{dir}", "{name}", "{stem}"]
    public var template: String

    public init(_ template: String) { self.template = template }

    /// A problem with the template, or nil when it is usable.
    public static func problem(in template: String) -> String? {
        if template.isEmpty { return "is empty" }
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { return "has a '{' without '}'" }
            let word = String(rest[open...close])
            if !placeholders.contains(word) {
                return "has an unknown placeholder \(word) (known: \(placeholders.joined(separator: ", ")))"
            }
            rest = rest[rest.index(after: close)...]
        }
        if !template.contains("{") { return "names no placeholder, so every archive would share one file (use {archive}, {dir}, {name} or {stem})" }
        return nil
    }

    /// The path for this archive: one pass over the template, each placeholder replaced by its
    /// part of the archive's path (an archive whose name holds `{dir}` is not substituted again).
    /// A scan calls it for every archive it finds: Foundation's `range(of:)`, four times per
    /// archive, was a quarter of a scan's time.
    public func path(for archive: String) -> String {
        let slash = archive.lastIndex(of: "/")
        let name = slash.map { archive[archive.index(after: $0)...] } ?? Substring(archive)
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let word = rest[open...].firstIndex(of: "}").map { rest[open...$0] } ?? rest[open...]
            switch word {
            case "{archive}": result += archive
            case "{dir}": result += slash.map { archive[..<$0] } ?? "."
            case "{name}": result += name
            case "{stem}": result += Self.stem(of: String(name))
            default:
                // Not a placeholder: the brace is text.
                result += "{"
                rest = rest[rest.index(after: open)...]
                continue
            }
            rest = rest[word.endIndex...]
        }
        return result + rest
    }

    /// The file name without archive and compression extensions: `etc.tar.gz` -> `etc`.
    public static func stem(of name: String) -> String {
        let extensions = [".gz", ".bz2", ".xz", ".zst", ".lz4", ".lz", ".lzo", ".Z", ".tar", ".tgz", ".tbz2", ".txz", ".zip", ".7z", ".cpio", ".iso", ".xar", ".a"]
        var stem = name
        var changed = true
        while changed {
            changed = false
            for ext in extensions where stem.hasSuffix(ext) && stem.count > ext.count {
                stem.removeLast(ext.count)
                changed = true
            }
        }
        return stem
    }
}
