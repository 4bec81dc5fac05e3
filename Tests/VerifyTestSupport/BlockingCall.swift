#if canImport(Testing)
import Testing
#endif

/// Guards the cooperative pool: a helper that blocks its thread (waits for a child process,
/// polls, waits on a file) calls `check` first, and a test that calls it on the cooperative
/// pool gets an issue naming the fix, rather than starving the tests that run beside it.
public enum BlockingCall {
    public static func check(_ what: @autoclosure () -> String) {
        #if canImport(Testing)
        guard Test.current != nil, !DedicatedThreadExecutor.isCurrentThread else { return }
        Issue.record(
            "\(what()) blocks a thread of the cooperative pool: give the suite (or the test) the .dedicatedThreads trait")
        #endif
    }
}
