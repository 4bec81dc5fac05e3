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

    /// An archive that `DestinationFile.open` refused.
    init(_ problem: DestinationFile.Problem, path: String) {
        switch problem {
        case .notFound: self.init(code: .notFound, message: "no such file", path: path)
        case .permissionDenied: self.init(code: .permissionDenied, message: "permission denied", path: path)
        case .notRegular: self.init(code: .notAFile, message: "\(problem.reason): not an archive file", path: path)
        case .io(let message): self.init(code: .io, message: message, path: path)
        }
    }
}
