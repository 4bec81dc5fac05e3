import Foundation
import Testing
import VerifyStore
import VerifyTestSupport

/// Issue 13 §9 with the real daemon: nightly archives named by date, rotated so that 3 are kept.
/// Before, coverage kept every entry of every archive ever verified (10 rows per kept entry
/// after 30 nights, growing without end); now what is gone is forgotten.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct HistorySoakTests {
    static let nights = 100
    static let kept = 3
    static let entries = 8

    /// A small tar of `entries` files, different every night, with its manifest written first.
    func nightly(_ night: Int, in folder: String, work: TemporaryDirectory) throws -> String {
        var tree = FixtureTree(root: work.file("tree-\(night)"))
        for n in 0..<Self.entries { try tree.add("etc/file\(n)", size: 64 + n, seed: UInt64(night * 100 + n)) }
        let name = String(format: "nightly-%03d.tar", night)
        _ = FileManager.default.createFile(atPath: folder + "/" + name + ".sha256", contents: Data(tree.sha256Manifest()))
        try Tool.must(["tar", "-cf", work.file(name), "-C", tree.root, "etc"])
        try FileManager.default.moveItem(atPath: work.file(name), toPath: folder + "/" + name)
        return folder + "/" + name
    }

    func goneCount(_ daemon: DaemonHarness) -> Int {
        daemon.log_.components(separatedBy: "archive gone: its coverage is forgotten").count - 1
    }

    @Test func aHundredRotatingArchivesKeepTheDatabaseTheSizeOfWhatIsKept() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.settings = ["concurrency = 2"]
        daemon.destinations = [DaemonFixtures.destination(
            "nightly", path: backups, settle: "0s", poll: "200ms", extra: ["keep_verifying = \(Self.kept)"])]
        try daemon.start()
        var archives: [String] = []
        // Three nights at a time (verified by two workers at once), so that the soak takes seconds.
        for first in stride(from: 0, to: Self.nights, by: Self.kept) {
            let nights = first..<min(first + Self.kept, Self.nights)
            for night in nights {
                archives.append(try nightly(night, in: backups, work: daemon.directory))
                if night >= Self.kept {
                    let old = archives[night - Self.kept]
                    try FileManager.default.removeItem(atPath: old)
                    try FileManager.default.removeItem(atPath: old + ".sha256")
                }
            }
            // These nights' archives are verified before the next come (the newest runs are theirs).
            let expected = Set(nights.map { archives[$0] })
            let ok = waitUntil(seconds: 20) {
                let last = (try? daemon.ctl(["history", "--json", "--limit", "\(nights.count)"]))?.object?["runs"] as? [[String: Any]] ?? []
                return Set(last.compactMap { $0["archive"] as? String }) == expected && last.allSatisfy { $0["finished"] is Double }
            }
            try #require(ok, "nights \(nights): \(daemon.log_.suffix(3000))")
        }
        // Every archive but the kept ones is gone (missing from two scans).
        #expect(waitUntil(seconds: 20) { goneCount(daemon) == Self.nights - Self.kept }, "\(goneCount(daemon))")

        let store = try HistoryStore(path: daemon.stateDirectory + "/history.sqlite")
        let counts = try store.rowCounts()
        let keptEntries = Self.kept * Self.entries
        #expect(counts["coverage"]! <= 2 * keptEntries, "\(counts)")
        #expect(counts["coverage"] == keptEntries, "\(counts)")
        #expect(counts["archive_entries"] == Self.kept, "\(counts)")
        #expect(counts["run"] == Self.nights, "every run is within history_retention: \(counts)")
        #expect(counts["failure"] == 0)
        let runs = daemon.runs()
        #expect(runs.allSatisfy { $0["verdict"] as? String == "pass" })
        let coverage = try daemon.ctl(["coverage", "nightly", "--json"])
        #expect(coverage.status == 0, "\(coverage.stderr)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
