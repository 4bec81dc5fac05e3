import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Issue 18 §1 against odd and hostile base backup folders, without a server: a manifest written
/// here as pg_basebackup writes it (CRC32C, its Manifest-Checksum from the real sha256sum), tars
/// from GNU tar. Each odd folder ends as an error or a failure that says what is wrong; none hangs.
@Suite(.timeLimit(.minutes(8)))
struct BaseBackupHostileTests {
    let temp = TemporaryDirectory()
    var backup: String { temp.file("backup") }
    let files = ["PG_VERSION": "15\n", "base/1/1259": String(repeating: "relation ", count: 900), "global/pg_control": "control"]

    init() throws {
        try FileManager.default.createDirectory(atPath: temp.file("data/base/1"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: temp.file("data/global"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: temp.file("data/" + name))) }
        try Tool.must(["tar", "-cf", backup + "/base.tar", "-C", temp.file("data"), "PG_VERSION", "base", "global"])
        try writeManifest(files.keys.sorted())
    }

    /// `backup_manifest` listing `names` (with the CRC32C of their content in `files`).
    func writeManifest(_ names: [String], extra: [String] = []) throws {
        let lines = names.map { name -> String in
            var crc = CRC32C()
            Array(files[name]!.utf8).withUnsafeBytes { crc.update($0) }
            return "{ \"Path\": \"\(name)\", \"Size\": \(files[name]!.utf8.count), \"Last-Modified\": \"2026-12-07 19:06:11 GMT\", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"\(Hex.encode(crc.digestBytes))\" }"
        } + extra
        let body = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n" + lines.joined(separator: ",\n") + "\n],\n"
            + "\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/2000138\" }\n],\n"
        let checksum = try Tool.run(["sha256sum"], input: Array(body.utf8)).stdout.prefix(64)
        try Data((body + "\"Manifest-Checksum\": \"\(checksum)\"}\n").utf8).write(to: URL(fileURLWithPath: backup + "/backup_manifest"))
    }

    @Test func theHandMadeBackupPasses() throws {
        let run = try CheckRun.run([backup])
        #expect(run.status == 0 && run.json?["checked"]?.integerValue == 3, "\(run.stdout)")
    }

    @Test func aManifestFileNoTarHoldsIsMissingAndATablespaceFileToo() throws {
        try writeManifest(files.keys.sorted(), extra: [
            "{ \"Path\": \"base/1/9999\", \"Size\": 0 }", "{ \"Path\": \"pg_tblspc/16384/PG_15_202209061/1/1\", \"Size\": 0 }",
        ])
        let run = try CheckRun.run([backup])
        #expect(run.status == 1 && run.failureKinds() == ["missing"], "\(run.stdout)")
        #expect(Set(run.failures.compactMap(\.path)) == ["base/1/9999", "pg_tblspc/16384/PG_15_202209061/1/1"])
    }

    @Test func oddFoldersAreErrorsThatSaySo() throws {
        // Two tars for base.
        try Tool.must(["cp", backup + "/base.tar", backup + "/base.tar.gz"])
        var run = try CheckRun.run([backup])
        #expect(run.status == 2 && run.json?["error"]?.stringValue?.contains("two tars for \"base\"") == true, "\(run.stdout)")
        // No base tar at all.
        try FileManager.default.removeItem(atPath: backup + "/base.tar")
        try FileManager.default.removeItem(atPath: backup + "/base.tar.gz")
        run = try CheckRun.run([backup])
        #expect(run.status == 2 && run.json?["error"]?.stringValue?.contains("no base.tar") == true, "\(run.stdout)")
        // base.tar a symlink to a good tar elsewhere: not followed.
        try Tool.must(["tar", "-cf", temp.file("elsewhere.tar"), "-C", temp.file("data"), "PG_VERSION", "base", "global"])
        try FileManager.default.createSymbolicLink(atPath: backup + "/base.tar", withDestinationPath: temp.file("elsewhere.tar"))
        run = try CheckRun.run([backup])
        #expect(run.status == 2 && run.json?["error"]?.stringValue?.contains("symbolic link") == true, "\(run.stdout)")
        try FileManager.default.removeItem(atPath: backup + "/base.tar")
        // base.tar a FIFO: refused at once, never waited on.
        #expect(mkfifo(backup + "/base.tar", 0o600) == 0)
        run = try CheckRun.run([backup])
        #expect(run.status == 2 && run.json?["error"]?.stringValue?.contains("FIFO") == true, "\(run.stdout)")
    }

    @Test func aManifestThatIsAFIFOIsRefusedWithoutWaiting() throws {
        try FileManager.default.removeItem(atPath: backup + "/backup_manifest")
        #expect(mkfifo(backup + "/backup_manifest", 0o600) == 0)
        let run = try CheckRun.run([backup])
        #expect(run.status == 2 && run.json?["error"]?.stringValue?.contains("FIFO") == true, "\(run.stdout)")
    }

    @Test func aTablespaceTarThatIsNoTarAndAWalTarThatIsCutFail() throws {
        try Data("not a tar at all".utf8).write(to: URL(fileURLWithPath: backup + "/16384.tar"))
        try Tool.must(["tar", "-cf", backup + "/pg_wal.tar", "-C", temp.file("data"), "base"])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: backup + "/pg_wal.tar")[.size] as? Int)
        try FileHandle(forWritingTo: URL(fileURLWithPath: backup + "/pg_wal.tar")).truncate(atOffset: UInt64(size / 2))
        let run = try CheckRun.run([backup])
        #expect(run.status != 0 && run.verdict != "pass", "\(run.stdout)")
        let text = try Tool.run([Tool.verifyctl, "check", backup])
        #expect(text.stdout.contains("pg_wal.tar") && text.stdout.contains("16384.tar"), "\(text.stdout)")
    }

    @Test func flagsThatCannotApplyToAFolderAreRefused() throws {
        let manifest = try Tool.run([Tool.verifyctl, "check", backup, "--manifest", backup + "/backup_manifest"])
        #expect(manifest.status == 2 && manifest.stderr.contains("checked against its own backup_manifest"), "\(manifest.stderr)")
        let restore = try Tool.run([Tool.verifyctl, "check", backup, "--restore-to", temp.file("r")])
        #expect(restore.status == 2 && restore.stderr.contains("--restore-to takes one archive"), "\(restore.stderr)")
    }
}
