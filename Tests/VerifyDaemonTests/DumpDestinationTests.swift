import Foundation
import Testing
import VerifyTestSupport

/// A destination of database dumps (`*.sql.gz`, `*.sql.zst`, `*.dump`): good dumps pass with no
/// alert, a dump cut short fails as truncated_dump, and `format = "raw"` reads uncompressed ones.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct DumpDestinationTests {
    static let head = "--\n-- PostgreSQL database dump\n--\n\nCOPY public.t (a, b) FROM stdin;\n"
    static let rows = (1...5000).map { "\($0)\trow \($0)\n" }.joined()
    static let end = "\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n"

    @Test func goodDumpsPassAndACutOneIsATruncatedDump() throws {
        let daemon = DaemonHarness()
        let dumps = try daemon.folder("dumps")
        let plain = try daemon.folder("plain")
        daemon.destinations = [
            // Each dump beside its own digest (`sha256sum db.sql.gz > db.sql.gz.sha256`): the
            // default manifest template, whose only line names the file itself.
            DaemonFixtures.destination("db", path: dumps, extra: ["archives = [\"*.sql.gz\", \"*.sql.zst\", \"*.dump\"]", "keep_verifying = 5"]),
            DaemonFixtures.destination("raw", path: plain, extra: ["archives = [\"*.sql\"]", "manifest = \"none\"", "format = \"raw\""]),
        ]
        try daemon.start()
        let work = daemon.directory
        try (Self.head + Self.rows + Self.end).write(toFile: work.file("good.sql"), atomically: true, encoding: .utf8)
        try (Self.head + Self.rows.prefix(30_000)).write(toFile: work.file("cut.sql"), atomically: true, encoding: .utf8)
        try Tool.must(["sh", "-c", """
            gzip -k good.sql && zstd -q good.sql && zstd -q cut.sql && cp good.sql.gz good.dump \
            && sha256sum good.sql.gz > good.sql.gz.sha256 && sha256sum good.sql.zst > good.sql.zst.sha256 \
            && sha256sum good.dump > good.dump.sha256 && sha256sum cut.sql.zst > cut.sql.zst.sha256
            """], in: work.path)
        for name in ["good.sql.gz", "good.sql.zst", "good.dump"] {
            try Tool.must(["mv", work.file(name + ".sha256"), work.file(name), dumps])
        }
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(3, of: "db") }, "\(daemon.log_)")
        #expect(daemon.runs("db").allSatisfy { $0["verdict"] as? String == "pass" }, "\(daemon.runs("db"))")
        #expect(daemon.state("db") == "ok")

        try Tool.must(["mv", work.file("cut.sql.zst.sha256"), work.file("cut.sql.zst"), dumps])
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(4, of: "db") }, "\(daemon.log_)")
        let cut = try #require(daemon.runs("db").first { ($0["archive"] as? String)?.hasSuffix("/cut.sql.zst") == true })
        #expect(cut["verdict"] as? String == "fail")
        let id = try #require(cut["id"] as? Int)
        let failures = try daemon.ctl(["show", "\(id)", "--json"]).object?["failures"] as? [[String: Any]] ?? []
        #expect(failures.map { $0["kind"] as? String } == ["truncated_dump"], "\(failures)")
        #expect((failures.first?["actual"] as? String)?.contains("\\n") == true)
        // A failure counts once the file stayed unchanged for `settle` after the run (issue 24).
        #expect(waitUntil(seconds: 30) { daemon.state("db") == "failing" }, "\(daemon.log_)")

        // format = "raw": an uncompressed dump is one stream; cut, it fails the same way.
        try Tool.must(["cp", work.file("good.sql"), work.file("cut.sql"), plain])
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(2, of: "raw") }, "\(daemon.log_)")
        let verdicts = Dictionary(daemon.runs("raw").map { (($0["archive"] as? String) ?? "", ($0["verdict"] as? String) ?? "") }) { $1 }
        #expect(verdicts == [plain + "/good.sql": "pass", plain + "/cut.sql": "fail"], "\(verdicts)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
