import Foundation
import Testing
import VerifyTestSupport

/// `make install`'s script, the completions and verifyd.toml(5), with the built (debug) binaries
/// and no root needed: the layout under DESTDIR for both prefixes, the units pointing at the
/// installed binaries, an administrator's configuration never overwritten. The package itself,
/// its man pages from the generate-manual plugin and lintian are checked by `make test-system`
/// (the plugin runs SwiftPM, which cannot run inside `swift test`).
@Suite(.timeLimit(.minutes(8)))
struct PackagingTests {
    static let root = Tool.repositoryRoot
    static let md2man = Tool.exists("go-md2man") && Tool.exists("python3")

    /// verifyctl's three completion scripts, as `make completions` writes them.
    static func completions(_ directory: TemporaryDirectory) throws -> String {
        let out = directory.file("completions")
        try Tool.must([root + "/scripts/make-completions.sh", (Tool.verifyctl as NSString).deletingLastPathComponent, out])
        return out
    }

    /// verifyd.toml(5) from docs/configuration.md, as `make man` makes it.
    static func configurationPage(_ directory: TemporaryDirectory, from markdown: String = root + "/docs/configuration.md") throws -> Tool.Result {
        try Tool.run(["sh", "-c", "python3 \"$0\" \"$1\" 0.0.0 | go-md2man > \"$2\"", root + "/packaging/config-man.py", markdown, directory.file("verifyd.toml.5")])
    }

    /// install.sh into DESTDIR; the man pages are stand-ins (see the suite's note and
    /// theConfigurationPageHasEveryDocumentedKey).
    static func install(_ directory: TemporaryDirectory, prefix: String) throws -> String {
        let man = directory.file("man")
        try FileManager.default.createDirectory(atPath: man, withIntermediateDirectories: true)
        for page in ["verifyctl.1", "verifyd.8", "verifyd-hooks.8", "verifyd.toml.5"] {
            try ".TH STAND-IN 1\n".write(toFile: man + "/" + page, atomically: true, encoding: .utf8)
        }
        let completions = try completions(directory)
        let destination = directory.file("root")
        let run = try Tool.run([root + "/scripts/install.sh", (Tool.verifyd as NSString).deletingLastPathComponent, man, completions],
                               environment: ["DESTDIR": destination, "PREFIX": prefix])
        #expect(run.status == 0, "\(run.stderr)")
        return destination
    }

    @Test(arguments: ["/usr/local", "/usr"])
    func installLaysOutTheTreeForThePrefix(prefix: String) throws {
        let directory = TemporaryDirectory()
        let destination = try Self.install(directory, prefix: prefix)
        let zsh = prefix == "/usr" ? "/usr/share/zsh/vendor-completions" : prefix + "/share/zsh/site-functions"
        let expected = [
            (prefix + "/sbin/verifyd", 0o755),
            (prefix + "/lib/systemd/system/verifyd.service", 0o644), (prefix + "/lib/systemd/system/verifyd-hooks.service", 0o644),
            (prefix + "/lib/sysusers.d/verifyd.conf", 0o644), (prefix + "/lib/tmpfiles.d/verifyd.conf", 0o644),
            ("/etc/verifyd/verifyd.toml", 0o644), ("/etc/verifyd/hooks.d/email.conf", 0o644),
            (prefix + "/share/verifyd/hooks/all-email.sh", 0o755), (prefix + "/share/man/man1/verifyctl.1", 0o644),
            (prefix + "/share/man/man5/verifyd.toml.5", 0o644), (prefix + "/share/man/man8/verifyd.8", 0o644),
            (prefix + "/share/bash-completion/completions/verifyctl", 0o644), (zsh + "/_verifyctl", 0o644),
            (prefix + "/share/fish/vendor_completions.d/verifyctl.fish", 0o644), (prefix + "/share/doc/verifyd/configuration.md", 0o644),
        ]
        for (path, mode) in expected {
            let attributes = try? FileManager.default.attributesOfItem(atPath: destination + path)
            #expect((attributes?[.posixPermissions] as? Int) == mode, "\(path): \(String(describing: attributes?[.posixPermissions]))")
        }
        // The units name the installed binaries and docs, nothing under another prefix.
        let unit = try String(contentsOfFile: destination + prefix + "/lib/systemd/system/verifyd.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=\(prefix)/sbin/verifyd --config /etc/verifyd/verifyd.toml\n"))
        #expect(unit.contains("ExecReload=\(prefix)/bin/verifyctl reload"))
        let hooks = try String(contentsOfFile: destination + prefix + "/lib/systemd/system/verifyd-hooks.service", encoding: .utf8)
        #expect(hooks.contains("ExecStart=\(prefix)/sbin/verifyd-hooks --config /etc/verifyd/verifyd.toml\n"))
        for text in [unit, hooks] {
            let files = text.split(separator: "\n").filter { $0.hasPrefix("Documentation=") }
                .flatMap { $0.dropFirst("Documentation=".count).split(separator: " ") }
                .filter { $0.hasPrefix("file:") }.map { String($0.dropFirst("file:".count)) }
            #expect(!files.isEmpty)
            for file in files { #expect(FileManager.default.fileExists(atPath: destination + file), "\(file)") }
            if prefix != "/usr/local" { #expect(!text.contains("/usr/local/")) }
        }
        // One binary: verifyctl and verifyd-hooks are links to verifyd, which runs the command
        // its name says (each answers --help with its own name).
        let links = [(prefix + "/bin/verifyctl", "../sbin/verifyd"), (prefix + "/sbin/verifyd-hooks", "verifyd")]
        for (link, target) in links {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: destination + link)) == target, "\(link)")
        }
        for command in ["/bin/verifyctl", "/sbin/verifyd-hooks", "/sbin/verifyd"] {
            let help = try Tool.run([destination + prefix + command, "--help"])
            let name = (command as NSString).lastPathComponent
            #expect(help.status == 0 && help.stdout.contains("USAGE: \(name) "), "\(command): \(help.stdout.prefix(200))")
        }
    }

    @Test func reinstallingKeepsTheAdministratorsConfiguration() throws {
        let directory = TemporaryDirectory()
        let destination = try Self.install(directory, prefix: "/usr/local")
        let edited = "# edited by the administrator\n"
        for file in ["/etc/verifyd/verifyd.toml", "/etc/verifyd/hooks.d/email.conf"] {
            try edited.write(toFile: destination + file, atomically: true, encoding: .utf8)
        }
        _ = try Self.install(directory, prefix: "/usr/local")
        for file in ["/etc/verifyd/verifyd.toml", "/etc/verifyd/hooks.d/email.conf"] {
            #expect(try String(contentsOfFile: destination + file, encoding: .utf8) == edited, "\(file) overwritten")
        }
    }

    @Test func installRefusesMissingBinariesAndPagesByName() throws {
        let directory = TemporaryDirectory()
        let empty = directory.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let noBinaries = try Tool.run([Self.root + "/scripts/install.sh", empty, empty, empty], environment: ["DESTDIR": directory.file("root")])
        #expect(noBinaries.status != 0)
        #expect(noBinaries.stderr.contains("\(empty)/verifyd is not built"), "\(noBinaries.stderr)")
        let build = (Tool.verifyd as NSString).deletingLastPathComponent
        let noPages = try Tool.run([Self.root + "/scripts/install.sh", build, empty, empty], environment: ["DESTDIR": directory.file("root")])
        #expect(noPages.status != 0)
        #expect(noPages.stderr.contains("\(empty)/verifyctl.1 is not generated"), "\(noPages.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("root")), "nothing installed")
    }

    @Test func completionsLoadInBashZshAndFish() throws {
        let directory = TemporaryDirectory()
        let out = try Self.completions(directory)
        let bash = try Tool.run(["bash", "-c", "source \"$0\" && complete -p verifyctl", out + "/verifyctl.bash"])
        #expect(bash.status == 0 && bash.stdout.contains("verifyctl"), "\(bash.stderr)")
        #expect(try !String(contentsOfFile: out + "/verifyctl.bash", encoding: .utf8).hasPrefix("#!"), "sourced, not run")
        if Tool.exists("zsh") {
            let zsh = try Tool.run(["zsh", "-n", out + "/_verifyctl"])
            #expect(zsh.status == 0, "\(zsh.stderr)")
            #expect(try String(contentsOfFile: out + "/_verifyctl", encoding: .utf8).hasPrefix("#compdef verifyctl"))
        }
        if Tool.exists("fish") {
            let fish = try Tool.run(["fish", "-c", "source $argv[1]; complete -C 'verifyctl st'", out + "/verifyctl.fish"])
            #expect(fish.status == 0 && fish.stdout.contains("status"), "\(fish.stdout)\(fish.stderr)")
        }
    }

    @Test(.enabled(if: md2man, "go-md2man is installed by make test"))
    func theConfigurationPageHasEveryDocumentedKey() throws {
        let directory = TemporaryDirectory()
        let made = try Self.configurationPage(directory)
        #expect(made.status == 0, "\(made.stderr)")
        let page = try Tool.run(["man", "-P", "cat", "-l", directory.file("verifyd.toml.5")], environment: ["MANWIDTH": "100"])
        #expect(page.status == 0)
        #expect(!page.stderr.contains("warning"), "\(page.stderr)")
        let markdown = try String(contentsOfFile: Self.root + "/docs/configuration.md", encoding: .utf8)
        let keys = markdown.split(separator: "\n").filter { $0.hasPrefix("| `") }
            .compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
        #expect(keys.count > 30, "\(keys.count) keys found in the tables")
        for key in keys { #expect(page.stdout.contains(key), "\(key) missing from verifyd.toml(5)") }
        #expect(page.stdout.contains("VERIFYD.TOML(5)"))
    }

    @Test(.enabled(if: md2man, "go-md2man is installed by make test"))
    func aTableRowThatDoesNotFitItsHeaderIsNamedByLine() throws {
        let directory = TemporaryDirectory()
        let markdown = directory.file("configuration.md")
        try "# verifyd.toml\n\n| key | default | meaning |\n|---|---|---|\n| `a` | 1 | fine |\n| `b` | 2 |\n"
            .write(toFile: markdown, atomically: true, encoding: .utf8)
        let run = try Tool.run(["python3", Self.root + "/packaging/config-man.py", markdown, "0.0.0"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("configuration.md:6: a table row with 2 cells, its header has 3"), "\(run.stderr)")
    }
}
