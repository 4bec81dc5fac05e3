import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Real dumps from real servers (PostgreSQL 15, MariaDB 10.11, from Debian's packages): every
/// good dump passes; a dumper killed midway leaves a file whose compression is whole (gzip -t and
/// zstd -t pass it) and verifyd fails it as truncated_dump; a flipped byte fails as damage.
/// One server per test, a few tables of small data (a few hundred KiB of dump).
@Suite(.serialized, .timeLimit(.minutes(8)))
struct DatabaseDumpTests {
    let temp = TemporaryDirectory()

    func check(_ file: String, _ extra: [String] = []) throws -> CheckRun {
        try CheckRun.run([temp.file(file)] + extra)
    }

    /// Good, cut and damaged copies of one dump, through one compressor.
    func expectVerdicts(dumper: [String], compressor: [String], testCommand: [String], name: String, producer: String) throws {
        let good = DumpPipeline(dumper: dumper, compressor: compressor, output: temp.file(name))
        try good.run()
        for threads in ["1", "2"] {
            let run = try check(name, ["--threads", threads])
            #expect(run.status == 0, "\(name): \(run.stdout)")
            #expect(run.json?["format"]?.stringValue == "raw")
            #expect(run.json?["singleStream"]?["dump"]?.stringValue == producer, "\(name): \(run.stdout)")
            #expect(run.json?["singleStream"]?["dumpComplete"] == .bool(true), "\(name): \(run.stdout)")
        }

        let cutName = "cut-" + name
        let cut = DumpPipeline(dumper: dumper, compressor: compressor, output: temp.file(cutName))
        let kept = try cut.runKillingTheDumperMidway()
        // The compressor closed its stream: its own test passes the cut dump.
        #expect(try Tool.run(testCommand + [temp.file(cutName)]).status == 0, "\(testCommand[0]) -t fails the cut dump")
        for threads in ["1", "2"] {
            let run = try check(cutName, ["--threads", threads])
            #expect(run.status == 1 && run.failureKinds() == ["truncated_dump"], "\(cutName): \(run.stdout)")
            let failure = run.json?["failures"]?.arrayValue?.first
            #expect(failure?["expected"]?.stringValue?.contains(producer) == true, "\(run.stdout)")
            #expect(failure?["actual"]?.stringValue?.contains("stops after \(kept) bytes") == true, "\(run.stdout)")
        }

        // A byte flipped in the middle of the compressed data: damage, not a truncated dump.
        let damagedName = "damaged-" + name
        try Tool.must(["cp", temp.file(name), temp.file(damagedName)])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: temp.file(damagedName))[.size] as? Int)
        try Corruption.flipByte(temp.file(damagedName), at: size / 2, mask: 0x10)
        let damaged = try check(damagedName)
        #expect(damaged.status == 1 && damaged.failureKinds().contains("corrupt_archive"), "\(damagedName): \(damaged.stdout)")
        #expect(!damaged.failureKinds().contains("truncated_dump"))
    }

    @Test(.enabled(if: PostgresServer.isInstalled, "PostgreSQL 15 is not installed (Debian package postgresql; make deps installs it)"))
    func postgresDumps() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE DATABASE shop")
        try server.sql("""
            CREATE TABLE customers (id int PRIMARY KEY, name text, note text);
            INSERT INTO customers SELECT g, 'customer ' || g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 10000) g;
            CREATE TABLE orders (id int PRIMARY KEY, customer int REFERENCES customers, total numeric(10,2));
            INSERT INTO orders SELECT g, 1 + g % 10000, g * 1.25 FROM generate_series(1, 6000) g;
            """, database: "shop")
        let pgDump = ["pg_dump"] + server.connection + ["shop"]
        try expectVerdicts(dumper: pgDump, compressor: ["gzip", "-c"], testCommand: ["gzip", "-t"], name: "shop.sql.gz", producer: "pg_dump")
        try expectVerdicts(dumper: pgDump, compressor: ["zstd", "-q", "-c"], testCommand: ["zstd", "-q", "-t"], name: "shop.sql.zst", producer: "pg_dump")
        try expectVerdicts(
            dumper: ["pg_dumpall"] + server.connection, compressor: ["gzip", "-c"], testCommand: ["gzip", "-t"], name: "all.sql.gz",
            producer: "pg_dumpall")

        try expectCustomFormatVerdicts(pgDump)

        // A manifest line for the decompressed dump, as sha256sum writes it for its input.
        try Tool.must(["sh", "-c", "gzip -dc shop.sql.gz | sha256sum > shop.sql.sha256"], in: temp.path)
        let matched = try check("shop.sql.gz", ["-m", temp.file("shop.sql.sha256")])
        #expect(matched.status == 0 && matched.json?["checked"]?.integerValue == 1, "\(matched.stdout)")
        // Another good dump of the same database (one row more) against that line: content_mismatch.
        try server.sql("INSERT INTO orders VALUES (6001, 1, 1.00)", database: "shop")
        try DumpPipeline(dumper: pgDump, compressor: ["gzip", "-c"], output: temp.file("shop.sql.gz")).run()
        let changed = try check("shop.sql.gz", ["-m", temp.file("shop.sql.sha256")])
        #expect(changed.status == 1 && changed.failureKinds() == ["content_mismatch"], "\(changed.stdout)")
    }

    /// pg_dump -Fc: its table of contents read and every data block inflated; killed midway,
    /// the blocks it lists that never came make it a truncated_dump.
    func expectCustomFormatVerdicts(_ pgDump: [String]) throws {
        try Tool.must(pgDump + ["-Fc", "-f", temp.file("shop.dump")])
        try DumpPipeline(dumper: pgDump + ["-Fc", "-Z", "0"], compressor: ["cat"], output: temp.file("plain.dump")).run()
        for name in ["shop.dump", "plain.dump"] {
            let run = try check(name)
            #expect(run.status == 0, "\(name): \(run.stdout)")
            #expect(run.json?["format"]?.stringValue == "pg_dump custom format")
            #expect(run.json?["singleStream"]?["dump"]?.stringValue == "pg_dump custom format")
            #expect(run.json?["singleStream"]?["dumpComplete"] == .bool(true), "\(name): \(run.stdout)")
            #expect(run.json?["singleStream"]?["checks"]?.arrayValue?.first?.stringValue?.contains("2 of 2 data blocks") == true, "\(run.stdout)")
        }
        _ = try DumpPipeline(dumper: pgDump + ["-Fc"], compressor: ["cat"], output: temp.file("cut.dump")).runKillingTheDumperMidway()
        #expect(try Tool.run(["pg_restore", "-l", temp.file("cut.dump")]).status == 0, "pg_restore -l lists the cut dump")
        let cut = try check("cut.dump")
        #expect(cut.status == 1 && cut.failureKinds() == ["truncated_dump"], "\(cut.stdout)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: temp.file("shop.dump"))[.size] as? Int)
        // Cut anywhere (inside the header, the table of contents, a block, between blocks): a
        // failure, never a pass, a crash or a hang. A byte flipped anywhere: never a crash or a
        // hang (the table of contents has no checksum: a flipped letter in a name passes).
        for cutAt in stride(from: 3, to: size, by: size / 13) + [size - 1] {
            try Tool.must(["cp", temp.file("shop.dump"), temp.file("hostile.dump")])
            try Corruption.truncate(temp.file("hostile.dump"), to: cutAt)
            let run = try check("hostile.dump")
            #expect(run.status == 1, "cut at \(cutAt): \(run.stdout)")
            #expect(!run.failureKinds().isDisjoint(with: ["truncated_dump", "corrupt_archive"]), "cut at \(cutAt): \(run.stdout)")
        }
        for flipAt in stride(from: 5, to: min(size, 4000), by: 97) {
            try Tool.must(["cp", temp.file("shop.dump"), temp.file("hostile.dump")])
            try Corruption.flipByte(temp.file("hostile.dump"), at: flipAt, mask: 0x40)
            let run = try check("hostile.dump")
            #expect([0, 1].contains(run.status) && run.json != nil, "flip at \(flipAt): \(run.status) \(run.stderr)")
        }
        try Corruption.flipByte(temp.file("shop.dump"), at: size / 2, mask: 0x10)
        let damaged = try check("shop.dump")
        #expect(damaged.status == 1 && damaged.failureKinds() == ["corrupt_archive"], "\(damaged.stdout)")
    }

    @Test(.enabled(if: MariadbServer.isInstalled, "MariaDB is not installed (Debian package mariadb-server; make deps installs it)"))
    func mariadbDumps() throws {
        let server = try MariadbServer()
        defer { server.stop() }
        try server.sql("""
            CREATE DATABASE shop;
            SET max_recursive_iterations = 100000;
            CREATE TABLE shop.customers (id int PRIMARY KEY, name text, note text);
            INSERT INTO shop.customers WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 4000)
              SELECT n, CONCAT('customer ', n), CONCAT(MD5(n), MD5(n * 7)) FROM c;
            CREATE TABLE shop.orders (id int PRIMARY KEY, customer int, total decimal(10,2));
            INSERT INTO shop.orders SELECT id, id, id * 1.25 FROM shop.customers;
            """)
        // --skip-extended-insert: one INSERT a row, so the dump is larger than a pipe holds.
        let dump = ["mariadb-dump"] + server.connection + ["--skip-extended-insert"]
        try expectVerdicts(
            dumper: dump + ["--all-databases"], compressor: ["zstd", "-q", "-c"], testCommand: ["zstd", "-q", "-t"], name: "all.sql.zst",
            producer: "mysqldump/mariadb-dump")
        try expectVerdicts(
            dumper: dump + ["--skip-dump-date", "shop"], compressor: ["gzip", "-c"], testCommand: ["gzip", "-t"], name: "shop.sql.gz",
            producer: "mysqldump/mariadb-dump")
    }
}
