import CDaemonSupport
import Foundation
import Logging
import ServiceLifecycle

/// `verifyd-hooks`' one long-running part as a service: the follower (the subscription, read
/// with blocking calls on a thread it owns) and, through it, the hooks' lanes. Graceful
/// shutdown (SIGTERM, SIGINT) stops following and sends SIGTERM to the hooks still running:
/// a hook stopped so has not moved its cursor, and its alert is handled again at the next
/// start (hooks/README.md); a hook that finishes first has its cursor written as usual.
/// `run()` returns only once the follower and every lane's thread have ended, so nothing of
/// the runner is still running when the group (and the process) ends.
public struct HookRunnerService: Service {
    let runner: HookRunner
    let logger: Logger

    public init(runner: HookRunner, logger: Logger) {
        self.runner = runner
        self.logger = logger
    }

    public func run() async throws {
        let runner = self.runner
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    _ = verifyd_name_thread("verifyd-follow")
                    runner.run()
                    done.resume()
                }
                thread.start()
            }
        } onGracefulShutdown: {
            logger.info("stopping")
            runner.stop()
            runner.shutDown()
        }
    }
}
