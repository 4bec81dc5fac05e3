import Foundation
import VerifyCLI
import VerifyDaemon
import VerifyHooks

// One binary, three commands: the package links verifyctl and verifyd-hooks to this binary
// (docs/install.md), which runs the command its name says.
switch URL(fileURLWithPath: CommandLine.arguments.first ?? "verifyd").lastPathComponent {
case "verifyctl":
    Verifyctl.main()
case "verifyd-hooks":
    await HooksCommand.start()
default:
    // `verifyd worker` (internal: one verification for the daemon, its request on stdin)
    // branches off here, before Swift's concurrency runtime starts its threads: the worker's
    // sandbox (Landlock, seccomp) binds only the threads started after it is applied.
    if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "worker" {
        exit(WorkerMain.run())
    }
    await VerifydCommand.start()
}
