import Foundation
import VerifyDaemon

// `verifyd worker` (internal: one verification for the daemon, its request on stdin) branches
// off here, before Swift's concurrency runtime starts its threads: the worker's sandbox
// (Landlock, seccomp) binds only the threads started after it is applied.
if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "worker" {
    exit(WorkerMain.run())
}
await VerifydCommand.start()
