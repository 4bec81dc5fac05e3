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

    public func path(for archive: String) -> String {
        let slash = archive.lastIndex(of: "/")
        let dir = slash.map { String(archive[..<$0]) } ?? "."
        let name = slash.map { String(archive[archive.index(after: $0)...]) } ?? archive
        return template
            .replacingAll("{archive}", with: archive)
            .replacingAll("{dir}", with: dir)
            .replacingAll("{name}", with: name)
            .replacingAll("{stem}", with: Self.stem(of: name))
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

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
