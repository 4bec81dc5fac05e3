#if canImport(Testing)
import Testing

/// Runs each test of a suite (or one test) on `DedicatedThreadExecutor`'s threads instead of
/// the cooperative pool. For tests that block: run a tool and wait for it (`Tool.run`), poll
/// (`waitUntil`), drive a daemon (`DaemonHarness`), wait on a socket. On the cooperative pool (2
/// threads on 2 cores) two such tests stop every other test from resuming, for minutes.
///
///     @Suite(.dedicatedThreads, .timeLimit(.minutes(5)))
///
/// Not applied to any suite yet: a full run with it on every blocking suite hung (see the
/// branch's last commit message).
public struct DedicatedThreadsTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Only around each test case: that is where the test's own code runs.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(DedicatedThreadExecutor.shared) {
            try await function()
        }
    }
}

extension Trait where Self == DedicatedThreadsTrait {
    /// Runs the tests on threads of their own, so that they may block (`DedicatedThreadsTrait`).
    public static var dedicatedThreads: Self { DedicatedThreadsTrait() }
}
#endif
