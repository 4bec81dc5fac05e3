import Foundation
import Testing
import VerifyTestSupport

/// Issue 20: `verifyctl check` runs under the same address-space limit as the daemon's workers.
/// libarchive's own `test_read_format_iso_rockridge_ce_loop.iso.Z` makes the ISO reader loop
/// allocating: without a limit it grew check to 2.1 GB before the stall watchdog ended it.
struct CheckMemoryLimitTests {
    static let ceLoop = Tool.repositoryRoot + "/../shared/corpus/libarchive/test_read_format_iso_rockridge_ce_loop.iso.Z"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: ceLoop), "the corpus is at ../shared/corpus/libarchive"),
          .timeLimit(.minutes(8)))
    func aParserThatLoopsAllocatingEndsWithAClearOutOfMemoryError() throws {
        // The stall watchdog is set far beyond the time the limit takes: what ends the run is
        // the allocation that fails, and the report says so.
        let started = ContinuousClock.now
        let run = try CheckRun.run([Self.ceLoop, "--no-archive-digest", "--memory-limit", "512MiB", "--stall-timeout", "90"])
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
        #expect(run.verdict == "error")
        let error = run.json?["error"]?.stringValue ?? ""
        #expect(error.contains("out of memory"), "\(error)")
        #expect(!error.contains("stalled"))
        #expect(elapsed < .seconds(90), "ended by the limit, not by the watchdog")
    }

    @Test func aGoodArchiveVerifiesUnderTheSmallestLimit() throws {
        let work = TemporaryDirectory()
        let folder = work.file("d")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let archive = try DaemonFixtures.archive("a.tar.gz", in: folder, work: work)
        let run = try CheckRun.run([archive, "--memory-limit", "256MiB", "--threads", "2"])
        #expect(run.status == 0, "\(run.stderr) \(run.stdout)")
        #expect(run.verdict == "pass")
    }

    @Test(arguments: [
        ("100MiB", "too small: at least 256MiB"),
        ("lots", "is not a size"),
        ("-1G", "is not a size"),
    ])
    func aBadLimitIsAUsageErrorThatNamesTheValue(value: String, message: String) throws {
        let run = try Tool.run([Tool.verifyctl, "check", "/nonexistent.tar", "--memory-limit=" + value])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--memory-limit \(value)") && run.stderr.contains(message), "\(run.stderr)")
    }
}
