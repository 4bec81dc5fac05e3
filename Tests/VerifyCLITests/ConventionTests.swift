import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// The conventions the docs promise for `verifyctl`, with the real binary: one meaning for
/// ARCHIVE.sha256, seeds that replay, the Nagios line when verifyd is down, help that names
/// everything, options in the docs that exist.
@Suite struct CLIConventionTests {
    let temp = TemporaryDirectory()

    /// The demo's layout: etc.tar.gz and etc.tar.gz.sha256 (a manifest of its entries).
    func demoLayout() throws -> (archive: String, tree: FixtureTree) {
        let tree = try FixtureTree.standard(at: temp.file("src"), seed: 3)
        try Tool.must([Tool.verifyctl, "manifest", "create", ".", "-o", temp.file("etc.tar.gz.sha256")], in: tree.root)
        try Tool.must(["tar", "-czf", temp.file("etc.tar.gz"), "."], in: tree.root)
        return (temp.file("etc.tar.gz"), tree)
    }

    @Test func aSidecarListingEntriesIsTheManifest() throws {
        let (archive, tree) = try demoLayout()
        let run = try CheckRun.run([archive])
        #expect(run.status == 0 && run.verdict == "pass", "\(run.stdout)\(run.stderr)")
        #expect(run.json?["manifest"]?["path"]?.stringValue?.hasSuffix("etc.tar.gz.sha256") == true, "\(run.stdout)")
        #expect(run.json?["checked"]?.integerValue == Int64(tree.files.count))
        let text = try Tool.run([Tool.verifyctl, "check", archive])
        #expect(text.status == 0 && text.stdout.contains("etc.tar.gz.sha256 (sha256sum"), "\(text.stdout)")
        // A rotten manifest line is found without naming the manifest.
        var lines = try String(contentsOfFile: temp.file("etc.tar.gz.sha256"), encoding: .utf8)
        lines = (lines.first == "0" ? "1" : "0") + lines.dropFirst()
        try lines.write(toFile: temp.file("etc.tar.gz.sha256"), atomically: true, encoding: .utf8)
        #expect(try CheckRun.run([archive]).failureKinds() == ["content_mismatch"])
    }

    @Test func aSidecarNamingTheArchiveIsItsDigest() throws {
        let (archive, _) = try demoLayout()
        try Tool.must(["sh", "-c", "sha256sum etc.tar.gz > etc.tar.gz.sha256"], in: temp.path)
        let run = try CheckRun.run([archive])
        #expect(run.status == 0 && run.verdict == "pass", "\(run.stdout)\(run.stderr)")
        #expect(run.json?["manifest"]?["path"] == nil, "\(run.stdout)")
        // Given as --manifest, the same file is read the same way.
        #expect(try CheckRun.run([archive, "--manifest", temp.file("etc.tar.gz.sha256")]).verdict == "pass")
        try Corruption.flipByte(archive, at: 40, mask: 0x01)
        #expect(try CheckRun.run([archive]).verdict != "pass")
    }

    @Test(arguments: ["18446744073709551615", "9223372036854775808", "0"])
    func everyPrintedSeedReplaysTheRun(seed: String) throws {
        let (archive, _) = try demoLayout()
        let first = try CheckRun.run([archive, "--sample", "2", "--seed", seed])
        #expect(first.json?["seed"]?.stringValue == seed, "\(first.stdout)")
        let printed = try #require(first.json?["seed"]?.stringValue)
        let again = try CheckRun.run([archive, "--sample", "2", "--seed", printed])
        #expect(again.status == 0)
        #expect(again.json?["seed"]?.stringValue == seed)
    }

    @Test func statusWithTheDaemonDownPrintsTheNagiosLine() throws {
        let result = try Tool.run([Tool.verifyctl, "status", "--socket", temp.file("none.sock")])
        #expect(result.status == 3)
        #expect(result.stdout.hasPrefix("VERIFYD UNKNOWN: cannot connect to verifyd at \(temp.file("none.sock"))"), "\(result.stdout)")
        #expect(result.stdout.split(separator: "\n").count == 1)
        let json = try Tool.run([Tool.verifyctl, "status", "--json", "--socket", temp.file("none.sock")])
        #expect(json.status == 3 && !json.stdout.contains("VERIFYD UNKNOWN"))
    }

    @Test func blake2bAloneWritesAB2sumList() throws {
        let (_, tree) = try demoLayout()
        let result = try Tool.run([Tool.verifyctl, "manifest", "create", tree.root, "--algorithm", "blake2b"])
        #expect(result.status == 0, "\(result.stderr)")
        let first = try #require(result.stdout.split(separator: "\n").first)
        #expect(first.split(separator: " ").first?.count == 128, "\(first)")
    }

    /// All help text of a command and its subcommands, found from the SUBCOMMANDS lists.
    static func helpText(_ executable: String, _ path: [String] = []) throws -> String {
        let help = try Tool.run([executable] + path + ["--help"]).stdout
        var text = help
        guard path.count < 3, let range = help.range(of: "SUBCOMMANDS:\n") else { return text }
        // Subcommand lines are indented by two spaces; their wrapped descriptions by more.
        for line in help[range.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            let sub = String(name)
            guard sub != "help", sub.allSatisfy({ $0.isLetter || $0 == "-" }) else { continue }
            text += try helpText(executable, path + [sub])
        }
        return text
    }

    @Test func helpNamesEveryAlertKind() throws {
        let alerts = try Tool.run([Tool.verifyctl, "alerts", "--help"]).stdout
        let hooks = try Tool.run([Tool.verifydHooks, "--help"]).stdout
        let doc = try String(contentsOfFile: Tool.repositoryRoot + "/hooks/README.md", encoding: .utf8)
        for kind in ["verification_failed", "verification_error", "stale", "unavailable", "recovered", "archive_shrank", "coverage_at_risk", "test"] {
            #expect(alerts.contains(kind), "verifyctl alerts --help omits \(kind)")
            #expect(hooks.contains(kind + "-"), "verifyd-hooks --help omits \(kind)")
            #expect(doc.contains(kind), "hooks/README.md omits \(kind)")
        }
    }

    /// Every `--option` the README and docs/ name is an option of verifyctl, verifyd or
    /// verifyd-hooks.
    @Test func everyOptionTheDocsNameExists() throws {
        let help = try Self.helpText(Tool.verifyctl) + Self.helpText(Tool.verifyd) + Self.helpText(Tool.verifydHooks)
        let known = Set(help.matches(of: try Regex(#"--[a-z][a-z0-9-]*"#)).map { String(help[$0.range]) })
        let root = Tool.repositoryRoot
        let docs = ["README.md", "hooks/README.md", "systemd/README.md"]
            + ((try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []).filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        // Options of other tools the docs quote.
        let foreign: Set<String> = [
            "--sort", "--mtime", "--owner", "--group", "--numeric-owner", "--format", "--tag", "--build-tests", "--static-swift-stdlib",
            "--check", "--now", "--user", "--no-pager", "--runs", "--warmup", "--scratch-path", "--reuid", "--regid", "--clear-groups",
            "--textfile", "--collector", "--skip-build", "--filter", "--rounds", "--seed", "--no-recursion", "--null", "--files-from",
            "--posix", "--create", "--xattrs", "--acls", "--one-file-system", "--compress", "--zstd", "--gzip", "--xz", "--remove-files", "--listed-incremental",
            // gpg's, for encrypted archives (docs/encryption.md).
            "--status-fd", "--decrypt", "--encrypt", "--batch", "--homedir", "--pinentry-mode", "--no-tty", "--quiet",
        ]
        for doc in docs {
            guard let text = try? String(contentsOfFile: root + "/" + doc, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.contains("verifyctl") || line.contains("verifyd") {
                for match in line.matches(of: try Regex(#"(?:^|[^\w-])(--[a-z][a-z0-9-]*)"#)) {
                    guard let option = match.output[1].substring.map(String.init) else { continue }
                    #expect(known.contains(option) || foreign.contains(option), "\(doc): \(option) is no option of verifyctl, verifyd or verifyd-hooks: \(line)")
                }
            }
        }
    }
}
