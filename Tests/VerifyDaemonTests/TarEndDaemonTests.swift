import Foundation
import Testing
import VerifyTestSupport

/// The daemon's worker on a tar that ends without its end-of-archive marker, in integrity-only
/// mode (no manifest: nothing else would notice), streamed and restored, on one thread and two.
@Suite(.timeLimit(.minutes(8)))
struct TarEndDaemonTests {
    @Test func aTarCutBetweenMembersFailsInEveryMode() throws {
        let daemon = DaemonHarness()
        let stream = try daemon.folder("stream")
        let restore = try daemon.folder("restore")
        daemon.settings = ["worker_threads = 1"]
        daemon.destinations = [
            DaemonFixtures.destination("stream", path: stream, extra: ["manifest = \"none\""]),
            DaemonFixtures.destination("restore", path: restore, extra: ["manifest = \"none\"", "mode = \"restore\""]),
        ]
        try daemon.start()
        var tree = FixtureTree(root: daemon.directory.file("src"))
        for index in 1...4 { try tree.add("f\(index).bin", size: 5_000, seed: UInt64(index)) }
        try Tool.must(["tar", "-cf", daemon.directory.file("full.tar"), "f1.bin", "f2.bin", "f3.bin", "f4.bin"], in: tree.root)
        // Cut where the third member begins, then compressed: the stream itself is whole.
        try Tool.must(["sh", "-c", "head -c 11264 full.tar | zstd -q -c > cut.tar.zst"], in: daemon.directory.path)
        for folder in [stream, restore] {
            try FileManager.default.copyItem(atPath: daemon.directory.file("cut.tar.zst"), toPath: daemon.directory.file("staging.tar.zst"))
            try FileManager.default.moveItem(atPath: daemon.directory.file("staging.tar.zst"), toPath: folder + "/cut.tar.zst")
        }
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(2) }, "\(daemon.log_)")
        for run in daemon.runs() {
            #expect(run["verdict"] as? String == "fail", "\(run)")
            let id = try #require(run["id"] as? Int)
            let failures = try daemon.ctl(["show", "\(id)", "--json"]).object?["failures"] as? [[String: Any]] ?? []
            #expect(failures.first?["kind"] as? String == "corrupt_archive", "\(failures)")
            #expect((failures.first?["actual"] as? String)?.hasPrefix("truncated: no end-of-archive marker after entry \"f2.bin\"") == true, "\(failures)")
        }
        // Two threads, the same.
        daemon.settings = ["worker_threads = 2"]
        try daemon.writeConfiguration()
        #expect(try daemon.ctl(["reload"]).status == 0)
        for folder in [stream, restore] {
            let again = try daemon.ctl(["verify", folder + "/cut.tar.zst", "--wait"])
            #expect(again.status == 1, "\(again.stdout)\(again.stderr)")
        }
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
