import Foundation
import Testing
import VerifyTestSupport

/// Issue 19 in the daemon: a destination of age files with `age_identity` (its own) and a global
/// `gpg_home`. A good age file and a good OpenPGP file pass, a damaged age file fails with
/// `corrupt_archive`, a file for another key is an `error`; no key reaches history. A key file
/// open to others is refused by `--check-config`, naming the key.
@Suite(.serialized, .timeLimit(.minutes(8)), .enabled(if: Tool.exists("age") && Tool.exists("gpg")))
struct EncryptedDestinationTests {
    /// `name`.tar in `work`, encrypted by `encrypt` to `name`.tar.`suffix`, its manifest
    /// `name`.tar.`suffix`.sha256; both moved into `destination` (manifest first).
    private func encryptedArchive(
        _ name: String, suffix: String, work: String, destination: String, damage: Bool = false, encrypt: (String, String) throws -> Void
    ) throws {
        let source = work + "/src-" + name
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data(FixtureTree.content(size: 150_000, seed: 8, compressible: false)).write(to: URL(fileURLWithPath: source + "/data.bin"))
        try Tool.must(["tar", "-cf", work + "/\(name).tar", "data.bin"], in: source)
        let file = "\(name).tar.\(suffix)"
        try encrypt(work + "/\(name).tar", work + "/" + file)
        if damage { try Corruption.flipByte(work + "/" + file, at: -70_000, mask: 0x08) }
        try Data(try Tool.must(["sha256sum", "data.bin"], in: source).stdout.utf8).write(to: URL(fileURLWithPath: work + "/\(file).sha256"))
        for moved in ["\(file).sha256", file] { try Tool.must(["mv", work + "/" + moved, destination]) }
    }

    @Test func ageFilesAreVerifiedToTheirContents() throws {
        let daemon = DaemonHarness()
        let work = daemon.directory
        let age = try AgeFixtures(in: work.file("keys"))
        let gpg = try GpgFixtures(in: work.path)
        let backups = try daemon.folder("backups")
        daemon.settings = ["gpg_home = \"\(gpg.home)\""]
        daemon.destinations = [DaemonFixtures.destination(
            "vault", path: backups,
            extra: ["archives = [\"*.age\", \"*.gpg\"]", "age_identity = \"\(age.identity)\"", "keep_verifying = 10"])]

        try encryptedArchive("bad", suffix: "age", work: work.path, destination: backups, damage: true) { try age.encrypt($0, to: $1) }
        try encryptedArchive("other", suffix: "age", work: work.path, destination: backups) {
            try age.encrypt($0, to: $1, recipients: [age.otherRecipient])
        }
        try encryptedArchive("good", suffix: "age", work: work.path, destination: backups) { try age.encrypt($0, to: $1) }
        try encryptedArchive("signed", suffix: "gpg", work: work.path, destination: backups) { _ = try gpg.encrypt($0, to: $1) }
        // All in place before the start (four archives: `keep_verifying` is raised from its
        // default of 3, which would leave the oldest alone).
        try daemon.start()
        #expect(waitUntil(seconds: 90) { daemon.hasFinishedRuns(4, of: "vault") }, "\(daemon.log_)")
        let runs = daemon.runs("vault")
        func verdict(_ name: String) -> String? {
            runs.first { ($0["archive"] as? String)?.hasSuffix("/" + name) == true }?["verdict"] as? String
        }
        #expect(verdict("good.tar.age") == "pass", "\(runs) \(daemon.log_)")
        #expect(verdict("bad.tar.age") == "fail", "\(runs)")
        #expect(verdict("other.tar.age") == "error", "\(runs)")
        #expect(verdict("signed.tar.gpg") == "pass", "\(runs) \(daemon.log_)")
        let secret = try String(contentsOfFile: age.identity, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? "?"
        let history = try daemon.ctl(["history", "--json"]).stdout
        #expect(!history.contains(secret) && !daemon.log_.contains(secret))
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func checkConfigRefusesAnIdentityOthersMayRead() throws {
        let temp = TemporaryDirectory()
        let age = try AgeFixtures(in: temp.file("keys"))
        try Tool.must(["chmod", "644", age.identity])
        let config = temp.file("c.toml")
        try "[[destination]]\nname = \"d\"\npath = \"\(temp.path)\"\nage_identity = \"\(age.identity)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let open = try Tool.run([Tool.verifyd, "--config", config, "--check-config"])
        #expect(open.status == 78 && open.stderr.contains("destination[1].age_identity") && open.stderr.contains("mode 644"), "\(open.stderr)")
        try Tool.must(["chmod", "600", age.identity])
        #expect(try Tool.run([Tool.verifyd, "--config", config, "--check-config"]).status == 0)
    }
}
