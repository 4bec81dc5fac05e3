import Foundation
import Testing
import VerifyTestSupport
@testable import VerifyDaemon

/// What the docs promise about the daemon's configuration and conventions, checked with the real
/// binaries: one meaning for ARCHIVE.sha256, `--check-config` refuses what start-up refuses,
/// durations as numbers, the first run's sample under a coverage window.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ConventionTests {
    @Test func aSidecarThatNamesTheArchiveIsItsDigestNotAnEmptyManifest() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups)]
        try daemon.start()
        // The digest of the file, as `sha256sum x.tar.gz > x.tar.gz.sha256` writes it, under the
        // default manifest name: the run checks the archive's integrity and that digest.
        let staging = try DaemonFixtures.archive("x.tar.gz", in: daemon.directory.path, work: daemon.directory)
        try Tool.must(["sh", "-c", "sha256sum x.tar.gz > '\(backups)/x.tar.gz.sha256'"], in: daemon.directory.path)
        try FileManager.default.moveItem(atPath: staging, toPath: backups + "/x.tar.gz")
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        let run = try #require(daemon.runs().first)
        #expect(run["verdict"] as? String == "pass", "\(run)")
        #expect((run["archiveDigest"] as? String)?.hasPrefix("sha256:") == true, "\(run)")
    }

    @Test func checkConfigRefusesASocketPathStartUpCannotBind() throws {
        let temp = TemporaryDirectory()
        let socket = "/tmp/" + String(repeating: "s", count: 119) + ".sock"
        try "state_directory = \"\(temp.file("state"))\"\nsocket = \"\(socket)\"\n".write(toFile: temp.file("c.toml"), atomically: true, encoding: .utf8)
        let check = try Tool.run([Tool.verifyd, "--config", temp.file("c.toml"), "--check-config"])
        #expect(check.status == 78, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("socket") && check.stderr.contains("107"))
        let start = try Tool.run([Tool.verifyd, "--config", temp.file("c.toml")])
        #expect(start.status == 78, "start-up refuses it the same way: \(start.stderr)")
    }

    @Test func everyDurationMayBeANumberOfSeconds() throws {
        let configuration = try ConfigurationLoader.parse("""
            [[destination]]
            name = "d"
            path = "/srv/d"
            max_age = 93600
            settle = 30
            interval = 3600.5
            """, file: "t.toml")
        #expect(configuration.destinations[0].maxAge == 93600)
        #expect(configuration.destinations[0].settle == 30)
        let off = try ConfigurationLoader.parse("[[destination]]\nname = \"d\"\npath = \"/srv/d\"\nmax_age = \"off\"\n", file: "t.toml")
        #expect(off.destinations[0].maxAge == nil)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.parse("[[destination]]\nname = \"d\"\npath = \"/srv/d\"\nmax_age = 0\n", file: "t.toml")
        }
    }

    /// `sample = "25%"` of 4 entries is 1, but a 14-day window with a 7-day interval needs 2 per
    /// run: the first run, before history knows the count, reads 2 as the docs say.
    @Test func theFirstRunUnderACoverageWindowReadsWhatTheWindowNeeds() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        daemon.destinations = [DaemonFixtures.destination("d", path: backups, extra: [
            "sample = \"25%\"", "coverage_window = \"14d\"",
        ])]
        try daemon.start()
        var tree = FixtureTree(root: daemon.directory.file("tree"))
        for index in 0..<4 { try tree.add("f/\(index).txt", size: 100, seed: UInt64(index)) }
        _ = FileManager.default.createFile(atPath: backups + "/four.tar.sha256", contents: Data(tree.sha256Manifest()))
        try Tool.must(["tar", "-cf", daemon.directory.file("four.tar"), "-C", tree.root, "f"])
        try FileManager.default.moveItem(atPath: daemon.directory.file("four.tar"), toPath: backups + "/four.tar")
        #expect(waitUntil(seconds: 30) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        let run = try #require(daemon.runs().first)
        #expect(run["entriesChecked"] as? Int == 2, "\(run)")
    }

    /// Every key docs/configuration.md documents is one the loader knows, in the table the docs
    /// put it in; every key the loader reads is documented.
    @Test func theDocumentedKeysAreTheLoadersKeys() throws {
        let doc = try String(contentsOfFile: Tool.repositoryRoot + "/docs/configuration.md", encoding: .utf8)
        var table = "top"
        var documented: Set<String> = ["hooks", "alert_socket", "alertmanager", "destination"]
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                table = line.contains("[hooks]") ? "hooks" : line.contains("[[alert_socket]]") ? "alert_socket"
                    : line.contains("[[alertmanager]]") ? "alertmanager"
                    : line.contains("[[destination]]") ? "destination" : line.contains("top level") ? "top" : "none"
                continue
            }
            guard table != "none", line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { continue }
            let key = String(line[line.index(line.startIndex, offsetBy: 3)..<end])
            documented.insert(key)
            let text: String
            switch table {
            case "hooks": text = "[hooks]\n\(key) = [[]]\n"
            case "alert_socket": text = key == "path" ? "" : "[[alert_socket]]\npath = \"/run/a.sock\"\n\(key) = [[]]\n"
            case "alertmanager": text = key == "url" ? "" : "[[alertmanager]]\nurl = \"http://am:9093\"\n\(key) = [[]]\n"
            case "destination": text = key == "name" || key == "path" ? "" : "[[destination]]\nname = \"d\"\npath = \"/srv/d\"\n\(key) = [[]]\n"
            default: text = "\(key) = [[]]\n"
            }
            guard !text.isEmpty else { continue }
            do {
                _ = try ConfigurationLoader.parse(text, file: "t.toml")
                Issue.record("\(table).\(key) = [[]] was accepted")
            } catch {
                #expect(!error.description.contains("unknown key"), "docs/configuration.md documents \(table).\(key): \(error.description)")
            }
        }
        // The loader's files (ConfigurationLoader.swift, +Destination.swift...).
        let folder = Tool.repositoryRoot + "/Sources/VerifySystem/Configuration"
        let loaderFiles = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("ConfigurationLoader") }
        try #require(loaderFiles.count >= 2, "\(loaderFiles)")
        let source = try loaderFiles.sorted().map { try String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }.joined()
        let read = try Regex(#"\.(?:string|integer|duration|size|bool|strings|sample|table|tables|isString)\("([a-z_]+)""#)
        for match in source.matches(of: read) {
            let key = String(match.output[1].substring ?? "")
            #expect(documented.contains(key), "the loader reads \(key), docs/configuration.md does not document it")
        }
    }
}
