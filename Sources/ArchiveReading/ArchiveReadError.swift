/// An archive that could not be read at all (missing, unreadable, not a file). Damage found
/// while reading is not an error: it is a finding of the run.
public struct ArchiveReadError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound = "not_found"
        case permissionDenied = "permission_denied"
        case notAFile = "not_a_file"
        case io
        case resource
    }

    public var code: Code
    public var message: String
    public var path: String?

    public init(code: Code, message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }
}
