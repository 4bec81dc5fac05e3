import Foundation

/// Runs a program with stdin, stdout and stderr on a real pseudo-terminal (python3's pty),
/// 100 columns wide, and returns everything the terminal got.
public enum PseudoTerminal {
    public static func run(_ arguments: [String]) throws -> (screen: String, status: Int32) {
        let result = try Tool.must(["python3", "-c", """
            import fcntl, os, pty, struct, sys, termios
            pid, fd = pty.fork()
            if pid == 0:
                fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 100, 0, 0))
                os.execv(sys.argv[1], sys.argv[1:])
            out = b''
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            _, status = os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            sys.stderr.write(str(os.waitstatus_to_exitcode(status)))
            """] + arguments)
        return (result.stdout, Int32(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1)
    }

    /// The lines a program showed in place ("\r", the line, erase to the end of the line) and
    /// what followed the last erase.
    public static func inPlaceLines(_ screen: String) -> (lines: [String], after: Substring) {
        let lines = screen.components(separatedBy: "\u{1B}[K").dropLast()
            .map { $0.replacingOccurrences(of: "\r", with: "") }.filter { !$0.isEmpty }
        let after = screen.range(of: "\u{1B}[K", options: .backwards).map { screen[$0.upperBound...] } ?? screen[...]
        return (lines, after)
    }
}
