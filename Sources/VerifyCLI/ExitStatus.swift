import ArgumentParser
import VerifyCore

/// verifyctl's exit statuses, in one place.
public enum ExitStatus {
    /// The archive passed.
    public static let pass: Int32 = 0
    /// The backup is bad: a failure, or a damaged, truncated or unrecognised archive.
    public static let fail: Int32 = 1
    /// Could not verify: archive or manifest missing or unreadable, malformed manifest.
    public static let error: Int32 = 2
    /// Bad command line (as sysexits' EX_USAGE).
    public static let usage: Int32 = 64

    static func forVerdict(_ verdict: Verdict) -> Int32 {
        switch verdict {
        case .pass: pass
        case .fail: fail
        case .error, .interrupted: error
        }
    }

    static let helpText = """
        EXIT STATUS
          0   pass: every checked entry matched
          1   fail: the backup is bad (a mismatch, a missing entry, a damaged,
              truncated or unrecognised archive)
          2   error: could not verify (archive or manifest missing or unreadable,
              malformed manifest, encrypted entries)
          64  usage: bad command line
        """
}

/// An error that ends the command with exit status 2 and a message on stderr.
struct CommandError: Error, CustomStringConvertible {
    var description: String
}
