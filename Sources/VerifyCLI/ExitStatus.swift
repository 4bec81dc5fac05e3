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

/// Exit statuses of the commands that talk to the daemon.
public enum DaemonExitStatus {
    /// `status`: Nagios plugin convention.
    public static let ok: Int32 = 0
    public static let warning: Int32 = 1
    public static let critical: Int32 = 2
    public static let unknown: Int32 = 3
    /// Other commands: the daemon answered with an error (unknown destination or run, not
    /// authorised, configuration refused).
    public static let refused: Int32 = 4

    static let statusHelpText = """
        EXIT STATUS (Nagios plugin convention)
          0   OK: every destination is ok
          1   WARNING: a destination is stale or pending (never verified yet), or its
              coverage_window cannot be met
          2   CRITICAL: a destination is failing or unavailable
          3   UNKNOWN: verifyd is unreachable, or it refused the request
          64  usage: bad command line
        """

    static let commandHelpText = """
        EXIT STATUS
          0   done
          3   verifyd is unreachable (not running, wrong --socket, no permission)
          4   verifyd refused the request (the message says why)
          64  usage: bad command line
        """

    static let verifyHelpText = """
        EXIT STATUS
          0   queued; with --wait: every run passed
          1   with --wait: a run failed (the backup is bad)
          2   with --wait: a run could not verify, or was interrupted
          3   verifyd is unreachable (not running, wrong --socket, no permission)
          4   verifyd refused the request (unknown destination or archive, not authorised)
          64  usage: bad command line
        """
}
