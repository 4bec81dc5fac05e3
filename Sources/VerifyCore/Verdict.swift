/// The outcome of a run.
public enum Verdict: String, Sendable, Codable {
    /// Everything checked matched.
    case pass
    /// The backup is bad: something did not match, or the archive is damaged.
    case fail
    /// The backup could not be verified (unreadable, encrypted, bad manifest…).
    case error
    /// The run was stopped before it finished (daemon shutdown or crash).
    case interrupted
}
