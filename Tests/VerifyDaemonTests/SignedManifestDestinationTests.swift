import Foundation
import Testing
import VerifyTestSupport

/// Issue 18 §2 in the daemon: `trusted_keys` and `manifest_signature = "required"` with the
/// real `minisign`. A manifest signed by the trusted key passes and `verifyctl show` names the key
/// and the trusted comment; one signed by another key fails with a `signature_invalid` alert
/// (critical); a key file its group may write is refused by `--check-config` with the reason.
@Suite(.serialized, .timeLimit(.minutes(8)), .enabled(if: Tool.exists("minisign")))
struct SignedManifestDestinationTests {
    /// Makes `name.tar` and its signed `name.tar.sha256` in `work`, then moves them into
    /// `destination` (signature and manifest first, so a run never sees an unsigned manifest).
    private func signedArchive(_ name: String, key: String, comment: String, work: String, destination: String) throws {
        let source = work + "/src-" + name
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data("content of \(name)\n".utf8).write(to: URL(fileURLWithPath: source + "/file.txt"))
        try Tool.must(["tar", "-cf", work + "/\(name).tar", "file.txt"], in: source)
        let list = try Tool.must(["sha256sum", "file.txt"], in: source).stdout
        try Data(list.utf8).write(to: URL(fileURLWithPath: work + "/\(name).tar.sha256"))
        try Tool.must(["minisign", "-S", "-s", key, "-m", work + "/\(name).tar.sha256", "-t", comment])
        for file in ["\(name).tar.sha256.minisig", "\(name).tar.sha256", "\(name).tar"] {
            try Tool.must(["mv", work + "/" + file, destination])
        }
    }

    @Test func requiredSignaturesPassWithATrustedKeyAndAlertOtherwise() throws {
        let daemon = DaemonHarness()
        let work = daemon.directory
        for name in ["trusted", "other"] {
            try Tool.must(["minisign", "-G", "-W", "-p", work.file("\(name).pub"), "-s", work.file("\(name).key")])
        }
        let backups = try daemon.folder("backups")
        daemon.settings = ["trusted_keys = [\"\(work.file("trusted.pub"))\"]"]
        daemon.destinations = [DaemonFixtures.destination("signed", path: backups, extra: ["archives = [\"*.tar\"]", "manifest_signature = \"required\""])]
        try daemon.start()

        try signedArchive("good", key: work.file("trusted.key"), comment: "nightly of host7", work: work.path, destination: backups)
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(1, of: "signed") }, "\(daemon.log_)")
        let good = try #require(daemon.runs("signed").first)
        #expect(good["verdict"] as? String == "pass", "\(good) \(daemon.log_)")
        let shown = try daemon.ctl(["show", "\(try #require(good["id"] as? Int))"]).stdout
        #expect(shown.contains("trusted comment: nightly of host7") && shown.contains("manifest signed by trusted key"), "\(shown)")

        try signedArchive("forged", key: work.file("other.key"), comment: "forged", work: work.path, destination: backups)
        var alerts: [[String: Any]] = []
        #expect(waitUntil(seconds: 60) {
            alerts = (try? daemon.ctl(["alerts", "list", "--json"]))?.object?["alerts"] as? [[String: Any]] ?? []
            return alerts.contains { $0["kind"] as? String == "signature_invalid" }
        }, "\(alerts) \(daemon.log_)")
        let alert = try #require(alerts.first { $0["kind"] as? String == "signature_invalid" })
        #expect(alert["severity"] as? String == "critical")
        #expect((alert["archive"] as? String)?.hasSuffix("/forged.tar") == true)
        #expect((alert["summary"] as? String)?.contains("which is not a trusted key") == true, "\(alert)")
        #expect(!alerts.contains { $0["kind"] as? String == "verification_failed" })
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func checkConfigRefusesAKeyOthersMayWriteAndRequiredWithoutKeys() throws {
        let temp = TemporaryDirectory()
        try Tool.must(["minisign", "-G", "-W", "-p", temp.file("k.pub"), "-s", temp.file("k.key")])
        try Tool.must(["chmod", "664", temp.file("k.pub")])
        let config = temp.file("c.toml")
        try "trusted_keys = \"\(temp.file("k.pub"))\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let writable = try Tool.run([Tool.verifyd, "--config", config, "--check-config"])
        #expect(writable.status == 78 && writable.stderr.contains("trusted_keys: \(temp.file("k.pub")): trusted key is writable by its group"), "\(writable.stderr)")
        try Tool.must(["chmod", "644", temp.file("k.pub")])
        #expect(try Tool.run([Tool.verifyd, "--config", config, "--check-config"]).status == 0)

        try "[[destination]]\nname = \"d\"\npath = \"\(temp.path)\"\nmanifest_signature = \"required\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let noKeys = try Tool.run([Tool.verifyd, "--config", config, "--check-config"])
        #expect(noKeys.status == 78 && noKeys.stderr.contains("trusted_keys: is empty"), "\(noKeys.stderr)")
    }
}
