/// A configuration that cannot be used: the file, the key path and what is wrong.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// The key path, such as `destination[2].max_age`; empty for the whole file.
    public var key: String
    public var message: String

    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    /// The exit status of verifyd and verifyd-hooks for a configuration that cannot be used
    /// (sysexits EX_CONFIG).
    public static let exitStatus: Int32 = 78

    public var description: String {
        key.isEmpty ? "\(file): \(message)" : "\(file): \(key): \(message)"
    }
}
