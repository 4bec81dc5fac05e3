import Foundation
import GRDB
import VerifyCore
import Testing
import VerifyTestSupport
@testable import VerifyStore

/// Issue 20: `verifyctl status DEST`, `history`, `show`, start-up and the end of a run cost
/// what they return, not what the database holds. Checked twice: the plan SQLite chooses
/// (indexes, no sort of everything), and the virtual-machine steps a query takes, equal on a
/// database of a few hundred runs and on one of tens of thousands more.
struct HistoryQueryCostTests {
    /// Runs of `others` destinations first (`otherRuns` in all), then 60 runs of destination
    /// "d": passes, fails with a failure row, two held and one unfinished.
    func store(otherRuns: Int, in directory: TemporaryDirectory) throws -> HistoryStore {
        let store = try HistoryStore(path: directory.file("history-\(otherRuns).sqlite"))
        try store.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT INTO run (destination, archive_path, archive_size, archive_mtime, trigger, started, finished, verdict,
                  sample, seed, held_until) VALUES (?, ?, 1000, ?, 'arrival', ?, ?, ?, 'all', 1, ?)
                """)
            for i in 0..<otherRuns {
                let destination = "other-\(i % 100)"
                try insert.execute(arguments: [destination, "/\(destination)/\(i).tar", Double(i), Double(i), Double(i) + 1, "pass", nil])
            }
            for i in 0..<60 {
                let verdict: String? = i == 59 ? nil : (i % 7 == 3 ? "fail" : "pass")
                let held: Double? = i == 45 || i == 52 ? 1e9 : nil
                try insert.execute(arguments: ["d", "/d/\(i % 20).tar", Double(i), 1e6 + Double(i), verdict.map { _ in 1e6 + Double(i) + 1 }, verdict, held])
                if verdict == "fail" {
                    try db.execute(
                        sql: "INSERT INTO failure (run_id, path, kind) VALUES (?, 'etc/passwd', 'content_mismatch')",
                        arguments: [db.lastInsertedRowID])
                }
            }
        }
        return store
    }

    /// The queries, with arguments that return the same rows from both databases.
    func queries(_ store: HistoryStore) throws -> [(name: String, sql: String, arguments: StatementArguments)] {
        let failedRun = try #require(try store.runs(destination: "d", limit: 100).first { $0.verdict == .fail }?.id)
        return [
            ("history DEST", HistoryStore.Query.runsOfDestination, ["d", 20]),
            ("history", HistoryStore.Query.runsOfHost, [20]),
            ("status DEST (last run)", HistoryStore.Query.latestRunNotHeld, ["d"]),
            ("show (failures)", HistoryStore.Query.failuresOfRun, [failedRun]),
            ("start-up (held runs)", HistoryStore.Query.heldRuns, []),
            ("shrink_alert (previous pass)", HistoryStore.Query.previousPassed, ["d", 40.5]),
        ]
    }

    @Test func theQueriesOfStatusHistoryAndStartUpUseIndexesAndSortNothing() throws {
        let directory = TemporaryDirectory()
        let store = try store(otherRuns: 2_000, in: directory)
        var all = try queries(store)
        all.append(("start-up (unfinished runs)", HistoryStore.Query.markUnfinished, [0, "x"]))
        for query in all {
            let plan = try store.queryPlan(query.sql, arguments: query.arguments)
            #expect(!plan.isEmpty, "\(query.name)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(query.name) sorts what it reads: \(plan)")
            if query.sql == HistoryStore.Query.runsOfHost {
                // The newest rows by rowid, stopped by LIMIT: a scan that reads what it returns.
                #expect(plan == ["SCAN run"], "\(plan)")
            } else if query.sql == HistoryStore.Query.heldRuns || query.sql == HistoryStore.Query.markUnfinished {
                // A partial index holds only those rows: scanning it reads what is returned.
                #expect(plan == ["SCAN run USING INDEX run_held"] || plan == ["SCAN run USING INDEX run_unfinished"], "\(plan)")
            } else {
                #expect(plan.allSatisfy { $0.hasPrefix("SEARCH") }, "\(query.name) scans a table: \(plan)")
            }
        }
    }

    @Test func startUpReadsEachArchivesLatestRunFromTheCoveringIndex() throws {
        let directory = TemporaryDirectory()
        let store = try store(otherRuns: 2_000, in: directory)
        let plan = try store.queryPlan(HistoryStore.Query.latestRunPerArchive, arguments: ["d"])
        // The runs of "d" are grouped by archive in the partial index alone (no row of the table
        // read for each run, no sort), then one row per archive is read by its id.
        #expect(plan.contains { $0.contains("USING COVERING INDEX run_latest_by_archive (destination=?)") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN run") && !$0.contains("INDEX") }, "\(plan)")
        // 20 archives in "d"; the newest run of each with a verdict (59, the newest, has none).
        let latest = try store.latestRunPerArchive(destination: "d")
        #expect(latest.count == 20)
        #expect(latest.first { $0.archivePath == "/d/19.tar" }?.finished == 1e6 + 39 + 1, "run 59 is unfinished: run 39 counts")
        #expect(latest.first { $0.archivePath == "/d/18.tar" }?.finished == 1e6 + 58 + 1)
    }

    @Test func theyTakeAsManyStepsWithFortyThousandMoreRunsInTheDatabase() throws {
        let directory = TemporaryDirectory()
        let small = try store(otherRuns: 300, in: directory)
        let large = try store(otherRuns: 40_300, in: directory)
        #expect(try large.runCount() == 40_360)
        let smallQueries = try queries(small), largeQueries = try queries(large)
        for (a, b) in zip(smallQueries, largeQueries) {
            let smallSteps = try small.virtualMachineSteps(a.sql, arguments: a.arguments)
            let largeSteps = try large.virtualMachineSteps(b.sql, arguments: b.arguments)
            #expect(smallSteps > 0)
            #expect(smallSteps == largeSteps, "\(a.name): \(smallSteps) steps with 360 runs, \(largeSteps) with 40,360")
        }
        let startUp = HistoryStore.Query.latestRunPerArchive
        let smallSteps = try small.virtualMachineSteps(startUp, arguments: ["d"])
        #expect(smallSteps > 0)
        #expect(try large.virtualMachineSteps(startUp, arguments: ["d"]) == smallSteps, "start-up's read of one destination")
        #expect(try large.heldRuns().count == 2)
        #expect(try large.latestRunNotHeld(destination: "d")?.verdict == nil, "the unfinished run is the newest")
    }
}
