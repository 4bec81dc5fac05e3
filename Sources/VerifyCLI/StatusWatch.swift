#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VerifyClient
import VerifyProtocol

/// `verifyctl status --watch`: the status drawn again every few seconds until interrupted, as
/// `watch` draws a command's output, running runs' progress included.
enum StatusWatch {
    /// Never returns; Ctrl-C (SIGINT) ends it as it ends `watch`.
    static func run(socketPath: String, destination: String?, seconds: Double) -> Never {
        let terminal = isatty(1) == 1
        // Interruptible whatever the parent left blocked or ignored (a test runner leaves both).
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT, SIG_DFL)
        while true {
            Output.out(screen(socketPath: socketPath, destination: destination, seconds: seconds, terminal: terminal))
            usleep(useconds_t(min(max(seconds, 0.1), 86_400) * 1_000_000))
        }
    }

    /// One redraw: on a terminal, home and clear first; elsewhere one report after the other.
    static func screen(socketPath: String, destination: String?, seconds: Double, terminal: Bool) -> String {
        var text = terminal ? "\u{1B}[H\u{1B}[2J" : ""
        text += "Every \(interval(seconds)): verifyctl status\(destination.map { " \($0.printable)" } ?? "")    \(TimeText.timestamp(Date().timeIntervalSince1970))\n\n"
        do {
            let client = try ControlClient(socketPath: socketPath)
            let result = try client.call(.status, StatusArguments(destination: destination), expecting: StatusResult.self)
            text += StatusCommand.render(result)
        } catch {
            // The daemon restarting is no reason to stop watching it.
            text += "verifyctl: \(error.message.printable)\n"
        }
        return terminal ? text : text + "\n"
    }

    /// `2s`, `0.5s`.
    static func interval(_ seconds: Double) -> String {
        seconds == seconds.rounded() && seconds < 1e9 ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
