import VerifyCore

/// A run's verdict as the wire carries it (`RunSummary`, `ReportRun`): the core's `Verdict`
/// once the run has finished, `running` before (history lists unfinished runs), or a word this
/// build does not know, sent by a newer verifyd, kept as sent so that it is shown rather than
/// refused. In JSON it is one string spelt as before: `"pass"`, `"fail"`, `"error"`,
/// `"interrupted"`, `"running"`.
public enum RunVerdict: Sendable, Hashable, Codable, CustomStringConvertible {
    case finished(Verdict)
    /// The run has not ended yet.
    case running
    /// Not a verdict this build knows (from a newer verifyd): its word, as sent.
    case unrecognized(String)

    public static let pass = RunVerdict.finished(.pass)
    public static let fail = RunVerdict.finished(.fail)
    public static let error = RunVerdict.finished(.error)
    public static let interrupted = RunVerdict.finished(.interrupted)

    /// A finished run's verdict, or `running` for nil (a run record without one yet).
    public init(_ verdict: Verdict?) {
        self = verdict.map(RunVerdict.finished) ?? .running
    }

    /// From its wire spelling; never fails.
    public init(wire word: String) {
        if let verdict = Verdict(rawValue: word) {
            self = .finished(verdict)
        } else if word == "running" {
            self = .running
        } else {
            self = .unrecognized(word)
        }
    }

    /// The core verdict, for a finished run this build understands.
    public var verdict: Verdict? {
        if case .finished(let verdict) = self { return verdict }
        return nil
    }

    /// The wire spelling (what `history` and `show` print).
    public var description: String {
        switch self {
        case .finished(let verdict): verdict.rawValue
        case .running: "running"
        case .unrecognized(let word): word
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(wire: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
