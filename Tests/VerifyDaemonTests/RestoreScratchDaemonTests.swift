import Foundation
import Testing
import VerifyTestSupport
@testable import VerifyDaemon

/// Restore mode in the daemon against a tree nested deeper than PATH_MAX: restored, checked
/// from disk, and its scratch folder removed whole (off the daemon's actor) by the time the run
/// is recorded; a leftover tree of a previous daemon is removed in the background.
struct RestoreScratchDaemonTests {
    @Test func aTreeDeeperThanPathMaxIsVerifiedInRestoreModeAndLeavesNoScratch() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("r", path: backups, extra: ["mode = \"restore\""])]
        // A previous daemon's leftover, too deep for any path string.
        let leftover = daemon.stateDirectory + "/scratch/run-998"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try Tool.must(["python3", "-c", "import os, sys\nos.chdir(sys.argv[1])\nfor _ in range(1500):\n    os.mkdir('ddd'); os.chdir('ddd')\nopen('f', 'w').write('x')", leftover])
        try daemon.start()
        func scratchItems() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory)) ?? []).filter { $0.hasPrefix("scratch.old-") }
                + ((try? FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory + "/scratch")) ?? [])
        }
        #expect(waitUntil(seconds: 30) { scratchItems().isEmpty }, "the leftover is removed: \(scratchItems())")

        let work = TemporaryDirectory()
        let deep = try RestoreScratchFixture.deepArchive(work)
        try FileManager.default.moveItem(atPath: deep.manifest, toPath: backups + "/deep.tar.sha256")
        try FileManager.default.moveItem(atPath: deep.archive, toPath: backups + "/deep.tar")
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        let run = try #require(daemon.runs().first)
        #expect(run["verdict"] as? String == "pass", "\(run)")
        #expect(scratchItems().isEmpty, "the run's restore folder is gone when the run is recorded: \(scratchItems())")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}

/// `restore_reserve` in `verifyd.toml`.
struct RestoreReserveConfigurationTests {
    @Test func theReserveIsASizeAndDefaultsToNone() throws {
        #expect(try ConfigurationLoader.parse("", file: "t.toml").restoreReserve == nil)
        #expect(try ConfigurationLoader.parse("restore_reserve = \"2GiB\"", file: "t.toml").restoreReserve == 2 << 30)
        #expect(try ConfigurationLoader.parse("restore_reserve = 0", file: "t.toml").restoreReserve == 0)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("restore_reserve = \"lots\"", file: "t.toml") }
        do {
            _ = try ConfigurationLoader.parse("restore_reserve = \"lots\"", file: "t.toml")
        } catch {
            #expect(error.description.contains("t.toml: restore_reserve: \"lots\""), "\(error.description)")
        }
    }
}
