import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Issue 18 §1: real `pg_basebackup -Ft` backups of a real PostgreSQL 15 (a table with data, a
/// tablespace) checked by `verifyctl check FOLDER`, and the same verdicts from PostgreSQL's own
/// `pg_verifybackup -n` on an extracted copy (PostgreSQL 15's cannot read tars itself).
@Suite(.serialized, .timeLimit(.minutes(8)), .enabled(if: PostgresServer.isInstalled))
struct BaseBackupTests {
    let temp = TemporaryDirectory()
    let server: PostgresServer
    var tablespaceOid = ""
    /// base/DB/NODE of table `u`, in base.tar.
    var relationPath = ""

    init() throws {
        server = try PostgresServer()
        let location = server.folder.file("ts")
        try Tool.must(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", location])
        try server.sql("CREATE TABLESPACE ts LOCATION '\(location)'")
        try server.sql("CREATE TABLE t (a int, b text) TABLESPACE ts; INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g")
        try server.sql("CREATE TABLE u AS SELECT g, repeat('x', 50) AS pad FROM generate_series(1, 2000) g; CHECKPOINT")
        tablespaceOid = try query("SELECT oid FROM pg_tablespace WHERE spcname = 'ts'")
        relationPath = try query("SELECT pg_relation_filepath('u')")
    }

    private func query(_ sql: String) throws -> String {
        try Tool.must(["psql", "-X", "-A", "-t", "-q"] + server.connection + ["-d", "postgres", "-c", sql]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `pg_basebackup -Ft` into `name` with these options.
    private func backup(_ name: String, _ options: [String]) throws -> String {
        let folder = temp.file(name)
        try Tool.must([PostgresServer.binaries + "/pg_basebackup"] + server.connection + ["-D", folder, "-Ft", "--no-sync"] + options)
        return folder
    }

    /// Extracts every tar of the backup as PostgreSQL lays them out and runs `pg_verifybackup -n`.
    private func pgVerifybackup(_ folder: String, _ name: String) throws -> Tool.Result {
        let copy = temp.file("extracted-" + name)
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where file.contains(".tar") {
            let stem = String(file[..<file.range(of: ".tar")!.lowerBound])
            let target = stem == "base" ? copy : stem == "pg_wal" ? copy + "/pg_wal" : copy + "/pg_tblspc/" + stem
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            let filter = file.hasSuffix(".zst") ? ["--zstd"] : file.hasSuffix(".gz") ? ["-z"] : []
            try Tool.must(["tar", "-xf", folder + "/" + file, "-C", target] + filter)
        }
        try Tool.must(["cp", folder + "/backup_manifest", copy + "/backup_manifest"])
        return try Tool.run([PostgresServer.binaries + "/pg_verifybackup", "-n", copy])
    }

    private func expectPass(_ folder: String, _ name: String, algorithm: String) throws {
        let run = try CheckRun.run([folder])
        #expect(run.status == 0 && run.verdict == "pass", "\(name): \(run.stdout) \(run.stderr)")
        let manifest = try Manifest.parse(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/backup_manifest"))), file: "m")
        #expect(manifest.format == .pgBackupManifest)
        #expect(manifest.algorithms == [DigestAlgorithm(rawValue: algorithm)!])
        #expect(manifest.entries.contains { $0.path.description.hasPrefix("pg_tblspc/\(tablespaceOid)/") })
        // Every file but postgresql.auto.conf, which pg_verifybackup ignores too (-R rewrites it).
        #expect(run.json?["checked"]?.integerValue == Int64(manifest.entries.count - 1), "\(name): \(run.stdout)")
        let reference = try pgVerifybackup(folder, name)
        #expect(reference.status == 0, "pg_verifybackup: \(reference.stderr)")
    }

    @Test func gzipWithATablespacePasses() throws {
        let folder = try backup("gz", ["-z"])
        #expect(FileManager.default.fileExists(atPath: folder + "/\(tablespaceOid).tar.gz"))
        try expectPass(folder, "gz", algorithm: "crc32c")
        try expectPass(try backup("sha224", ["--manifest-checksums=SHA224"]), "sha224", algorithm: "sha224")
    }

    @Test func clientZstdAndSHA256ChecksumsPass() throws {
        let zstd = try Tool.run([PostgresServer.binaries + "/pg_basebackup"] + server.connection + ["-D", temp.file("zst"), "-Ft", "--no-sync", "--compress=client-zstd", "--manifest-checksums=SHA256"])
        if zstd.status == 0 {
            try expectPass(temp.file("zst"), "zst", algorithm: "sha256")
        } else {
            #expect(zstd.stderr.contains("zstd"), "pg_basebackup failed for another reason: \(zstd.stderr)")
            try expectPass(try backup("sha", ["--manifest-checksums=SHA256"]), "sha", algorithm: "sha256")
        }
    }

    /// A byte flipped in a relation file's data inside base.tar fails with that file's path, in
    /// both; a manifest edited after the backup fails its own checksum, in both.
    @Test func flippedByteAndEditedManifestFailInBoth() throws {
        let folder = try backup("plain", [])
        // GNU tar -R prints the header block of each member: its data starts one block later.
        let listing = try Tool.must(["tar", "-tvRf", folder + "/base.tar"]).stdout
        let line = try #require(listing.split(separator: "\n").first { $0.hasSuffix(" " + relationPath) }, "\(relationPath) not in base.tar")
        let block = try #require(Int(line.split(separator: " ")[1].dropLast()))
        try Tool.must(["cp", "-r", folder, temp.file("flipped")])
        try Corruption.flipByte(temp.file("flipped/base.tar"), at: (block + 1) * 512 + 4000, mask: 0x01)

        let flipped = try CheckRun.run([temp.file("flipped")])
        #expect(flipped.status == 1 && flipped.failureKinds() == ["content_mismatch"], "\(flipped.stdout)")
        #expect(flipped.failures.map(\.path) == [relationPath])
        let reference = try pgVerifybackup(temp.file("flipped"), "flipped")
        #expect(reference.status != 0 && reference.stderr.contains("checksum mismatch for file \"\(relationPath)\""), "\(reference.stderr)")

        try Tool.must(["cp", "-r", folder, temp.file("edited")])
        let manifestPath = temp.file("edited/backup_manifest")
        var text = try String(contentsOfFile: manifestPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"Path\": \"PG_VERSION\", \"Size\": 3", with: "\"Path\": \"PG_VERSION\", \"Size\": 4")
        try text.write(toFile: manifestPath, atomically: false, encoding: .utf8)
        let edited = try Tool.run([Tool.verifyctl, "check", temp.file("edited")])
        // The run's error, in the report: the manifest's file and last line, and what is wrong.
        #expect(edited.status == 2 && edited.stdout.contains("edited/backup_manifest:")
            && edited.stdout.contains("the Manifest-Checksum does not match the manifest"), "\(edited.stdout) \(edited.stderr)")
        let editedReference = try pgVerifybackup(temp.file("edited"), "edited")
        #expect(editedReference.status != 0 && editedReference.stderr.contains("manifest checksum mismatch"), "\(editedReference.stderr)")
    }

    /// A tablespace tar that is gone leaves its files `missing`; a file added to base.tar is `unexpected`.
    @Test func aMissingTablespaceTarAndAnExtraFileFail() throws {
        let folder = try backup("parts", [])
        try FileManager.default.removeItem(atPath: folder + "/\(tablespaceOid).tar")
        try Data("stray\n".utf8).write(to: URL(fileURLWithPath: temp.file("stray")))
        try Tool.must(["tar", "-rf", folder + "/base.tar", "-C", temp.path, "stray"])
        let run = try CheckRun.run([folder])
        #expect(run.status == 1 && run.failureKinds() == ["missing", "unexpected"], "\(run.stdout)")
        #expect(run.failures.filter { $0.kind == "missing" }.allSatisfy { $0.path?.hasPrefix("pg_tblspc/\(tablespaceOid)/") == true })
        #expect(run.failures.contains { $0.kind == "unexpected" && $0.path == "stray" }, "\(run.stdout)")
        let reference = try pgVerifybackup(folder, "parts")
        #expect(reference.status != 0 && reference.stderr.contains("\"stray\" is present on disk but not in the manifest"), "\(reference.stderr)")
        #expect(reference.stderr.contains("\"pg_tblspc/\(tablespaceOid)/") && reference.stderr.contains("is present in the manifest but not on disk"), "\(reference.stderr)")
    }

    /// The daemon: a destination of base backups, one folder per backup, `base.tar*` standing for
    /// its folder. A good backup with a tablespace passes; one with a flipped byte in a relation
    /// file fails, named as the manifest names the file.
    @Test func aDaemonDestinationOfBaseBackups() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("pg")
        daemon.destinations = [DaemonFixtures.destination("pg", path: backups, extra: [
            "archives = [\"*/base.tar*\"]", "manifest = \"{dir}/backup_manifest\"", "keep_verifying = 5",
        ])]
        try daemon.start()
        let good = try backup("daemon-good", ["-z"])
        let bad = try backup("daemon-bad", [])
        let listing = try Tool.must(["tar", "-tvRf", bad + "/base.tar"]).stdout
        let line = try #require(listing.split(separator: "\n").first { $0.hasSuffix(" " + relationPath) })
        let block = try #require(Int(line.split(separator: " ")[1].dropLast()))
        try Corruption.flipByte(bad + "/base.tar", at: (block + 1) * 512 + 4000, mask: 0x01)
        try Tool.must(["mv", good, bad, backups])
        #expect(waitUntil(seconds: 90) { daemon.hasFinishedRuns(2, of: "pg") }, "\(daemon.log_)")
        let verdicts = Dictionary(daemon.runs("pg").map { (($0["archive"] as? String) ?? "", $0) }) { $1 }
        let passed = try #require(verdicts[backups + "/daemon-good/base.tar.gz"], "\(verdicts.keys)")
        #expect(passed["verdict"] as? String == "pass", "\(passed) \(daemon.log_)")
        let failed = try #require(verdicts[backups + "/daemon-bad/base.tar"], "\(verdicts.keys)")
        #expect(failed["verdict"] as? String == "fail")
        let shown = try daemon.ctl(["show", "\(try #require(failed["id"] as? Int))", "--json"]).object
        let failures = shown?["failures"] as? [[String: Any]] ?? []
        #expect(failures.map { $0["path"] as? String } == [relationPath] && failures.first?["kind"] as? String == "content_mismatch", "\(failures)")
        // Every file of the manifest was checked, the tablespace's (in 16384.tar.gz) included.
        let manifest = try Manifest.parse(Array(try Data(contentsOf: URL(fileURLWithPath: backups + "/daemon-good/backup_manifest"))), file: "m")
        #expect(manifest.entries.contains { $0.path.description.hasPrefix("pg_tblspc/\(tablespaceOid)/") })
        #expect(passed["entriesChecked"] as? Int == manifest.entries.count - 1, "\(passed)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
