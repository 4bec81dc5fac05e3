/// An operational failure of the daemon (socket, database, configuration at start), with a
/// message that names what failed.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
