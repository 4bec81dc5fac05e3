/// The kind of an entry, in an archive or in a manifest.
public enum EntryType: String, Sendable, Codable, CaseIterable {
    case file, directory, symlink, hardlink
    case characterDevice = "char"
    case blockDevice = "block"
    case fifo, socket, unknown

    /// The keyword mtree uses (`type=file`, `type=dir`, `type=link`…).
    public var mtreeKeyword: String {
        switch self {
        case .file, .hardlink: "file"
        case .directory: "dir"
        case .symlink: "link"
        case .characterDevice: "char"
        case .blockDevice: "block"
        case .fifo: "fifo"
        case .socket: "socket"
        case .unknown: "unknown"
        }
    }

    public init?(mtreeKeyword: String) {
        switch mtreeKeyword {
        case "file": self = .file
        case "dir": self = .directory
        case "link": self = .symlink
        case "char": self = .characterDevice
        case "block": self = .blockDevice
        case "fifo": self = .fifo
        case "socket": self = .socket
        default: return nil
        }
    }
}
