import Foundation
import Testing
import VerifyTestSupport

/// Issue 21, "A report": `verifyctl report` of a real daemon run (passes, a failure, a shrunk
/// archive, a hostile name), rendered by a real browser (Debian's headless Chromium, without
/// network). The page's text is checked from `--dump-dom`; screenshots at 1280 and 390 px are
/// taken, and kept with the page in `.build/test-artifacts/report-browser/` when a check fails.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ReportBrowserTests {
    /// A passing archive of a small tree (two files): a backup that lost most of its content.
    func shrunkArchive(_ name: String, in folder: String, work: TemporaryDirectory) throws -> String {
        var tree = FixtureTree(root: work.file("tree-\(name)"))
        try tree.add("etc/hosts", size: 300, seed: 1)
        try tree.add("etc/app/config.toml", size: 2_000, seed: 2)
        _ = FileManager.default.createFile(atPath: folder + "/" + name + ".sha256", contents: Data(tree.sha256Manifest()))
        let staging = work.file("staging-\(name)")
        try Tool.must(["tar", "-czf", staging, "-C", tree.root, "."])
        try FileManager.default.moveItem(atPath: staging, toPath: folder + "/" + name)
        return folder + "/" + name
    }

    /// A daemon with two destinations: `nightly` (a pass, a failure, then a shrunk archive) and
    /// `weekly` (one pass of a 5-entry sample, under a name made of markup).
    func daemonWithHistory() throws -> (DaemonHarness, failedRun: Int) {
        let daemon = DaemonHarness()
        let nightly = try daemon.folder("nightly")
        let weekly = try daemon.folder("weekly")
        daemon.destinations = [
            DaemonFixtures.destination("nightly", path: nightly, extra: ["shrink_alert = \"30%\"", "archives = [\"*.tar.gz\", \"*.tar\"]"]),
            DaemonFixtures.destination("weekly", path: weekly, extra: ["sample = 5"]),
        ]
        try daemon.start()
        try DaemonFixtures.archive("etc-2026-12-01.tar.gz", in: nightly, work: daemon.directory, seed: 1)
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        try DaemonFixtures.corruptedArchive("etc-2026-12-02.tar", in: nightly, work: daemon.directory)
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(2) && daemon.state("nightly") == "failing" }, "\(daemon.log_)")
        _ = try shrunkArchive("etc-2026-12-03.tar.gz", in: nightly, work: daemon.directory)
        try DaemonFixtures.archive("<img src=x onerror=alert(1)>.tar.gz", in: weekly, work: daemon.directory, seed: 3)
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(4) }, "\(daemon.log_)")
        let failed = daemon.runs("nightly").first { $0["verdict"] as? String == "fail" }?["id"] as? Int ?? -1
        return (daemon, failed)
    }

    /// Skipped without chromium on a developer's machine; under CI (`CI` set, where `make deps`
    /// installs it) it runs, and fails, rather than pass unseen.
    @Test(.enabled(if: HeadlessChromium.isInstalled || ProcessInfo.processInfo.environment["CI"] != nil, "needs Debian's chromium (make deps)"))
    func aRealBrowserShowsPassesTheFailureAndTheShrink() throws {
        let (daemon, failedRun) = try daemonWithHistory()
        let page = daemon.directory.file("report.html")
        let made = try daemon.ctl(["report", "--html", page, "--since", "7d"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("report of 2 destinations since") && made.stdout.contains(page), "\(made.stdout)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        var checks = Checks()
        // Self-contained: nothing to fetch, no script.
        checks.expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"),
                      "the page fetches nothing and runs nothing")

        let profile = daemon.directory.file("chromium-profile")
        let dom = try HeadlessChromium.dumpDOM(page, profile: profile)
        let text = Self.text(of: dom)
        checks.expect(text.contains("Backup verification report"), "title: \(text.prefix(300))")
        checks.expect(text.contains("✗ FAILING nightly") && text.contains("✓ OK weekly"), "current states with symbols and words")
        checks.expect(text.contains("Now: 1 archive(s) failed verification and have not passed since"), "nightly's reason: \(text)")
        checks.expect(text.contains("✗FAIL") && text.contains("·no run"), "the calendar's days carry symbols and words")
        checks.expect(text.contains("Failures in the window (1)") && text.contains("run \(failedRun) ·")
                      && text.contains("Details: verifyctl show \(failedRun)"), "the failure with its run and show command")
        checks.expect(text.contains("content_mismatch var/log/big.log"), "the failure's finding")
        checks.expect(text.contains("etc-#-#-#.tar.gz: 2 archives ▼ 1 shrank") && text.contains("▼ shrank"), "the shrunk archive is marked")
        checks.expect(text.contains("Every run reads every entry"), "coverage of a full-read destination")
        checks.expect(text.contains("19% of 26 entries verified") && text.contains("21 never verified"), "coverage of a sampled one")
        // The markup in an archive's name is text, never an element.
        checks.expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;.tar.gz") && !dom.contains("<img"), "a hostile name stays text")

        // Legible at 1280 and 390 px: nothing wider than the window; screenshots of both.
        let widths = try measuredWidths(page, daemon: daemon, profile: profile)
        checks.expect(widths[1280].map { $0 <= 1280 } == true && widths[390].map { $0 <= 390 } == true, "no horizontal overflow: \(widths)")
        for width in [1280, 390] {
            let png = daemon.directory.file("report-\(width).png")
            try HeadlessChromium.screenshot(page, to: png, width: width, height: width == 390 ? 2400 : 1600, profile: profile)
            checks.expect(HeadlessChromium.pngSize(png)?.width == width, "a \(width) px screenshot")
        }
        // VERIFYD_KEEP_ARTIFACTS=1 keeps them from a passing run too, to look at.
        if !checks.failures.isEmpty || ProcessInfo.processInfo.environment["VERIFYD_KEEP_ARTIFACTS"] != nil {
            let folder = keepArtifacts(daemon, dom: dom)
            if !checks.failures.isEmpty { Issue.record("the page, its DOM and screenshots are kept in \(folder)") }
        }
        for failure in checks.failures { Issue.record("\(failure)") }
        #expect(daemon.signal(SIGTERM) == 0)
    }

    @Test func jsonCarriesTheSameDataWithDaysAndSeries() throws {
        let (daemon, failedRun) = try daemonWithHistory()
        let result = try daemon.ctl(["report", "nightly", "--json", "--since", "2d"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(result.object)
        let destinations = try #require(object["destinations"] as? [[String: Any]])
        #expect(destinations.map { $0["name"] as? String } == ["nightly"])
        let nightly = destinations[0]
        #expect(nightly["state"] as? String == "failing")
        #expect(((nightly["runs"] as? [[String: Any]])?.count ?? 0) >= 3)
        let failures = nightly["failures"] as? [[String: Any]] ?? []
        let failedIDs = failures.compactMap { ($0["run"] as? [String: Any])?["id"] as? Int }
        #expect(failedIDs.contains(failedRun), "\(failedIDs)")
        let days = nightly["days"] as? [[String: Any]] ?? []
        #expect(days.count == 3, "two days back and today: \(days)")
        #expect(days.last?["state"] as? String == "fail")
        let series = nightly["series"] as? [[String: Any]] ?? []
        let points = series.first { $0["key"] as? String == "etc-#-#-#.tar.gz" }?["points"] as? [[String: Any]] ?? []
        #expect(points.count == 2 && points.last?["shrank"] is Double, "\(series)")
        #expect(object["timeZone"] is String)

        // Never into a destination, even through a symlink; nothing is left there.
        let nightlyPath = try #require(nightly["path"] as? String)
        try FileManager.default.createSymbolicLink(atPath: daemon.directory.file("link"), withDestinationPath: nightlyPath)
        for target in [nightlyPath + "/report.html", daemon.directory.file("link") + "/report.html"] {
            let refused = try daemon.ctl(["report", "--html", target])
            #expect(refused.status == 2 && refused.stderr.contains("a report is never written into a destination"), "\(refused.stderr)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: nightlyPath).filter { $0.contains("report") }
        #expect(left.isEmpty, "\(left)")
        let unknown = try daemon.ctl(["report", "nosuch", "--json"])
        #expect(unknown.status == 4 && unknown.stderr.contains("no destination \"nosuch\" (configured: nightly, weekly)"), "\(unknown.stderr)")
        let neither = try daemon.ctl(["report"])
        #expect(neither.status == 64 && neither.stderr.contains("give --html FILE, --json, or both"), "\(neither.stderr)")
        let toStdout = try daemon.ctl(["report", "weekly", "--html", "-"])
        #expect(toStdout.status == 0 && toStdout.stdout.hasPrefix("<!DOCTYPE html>") && toStdout.stdout.hasSuffix("</html>\n"))
        let bothToStdout = try daemon.ctl(["report", "--html", "-", "--json"])
        #expect(bothToStdout.status == 64 && bothToStdout.stdout.isEmpty, "\(bothToStdout.stderr)")
        let badSince = try daemon.ctl(["report", "--json", "--since", "yesterday"])
        #expect(badSince.status == 64 && badSince.stderr.contains("--since \"yesterday\": not a duration"), "\(badSince.stderr)")
        #expect(daemon.signal(SIGTERM) == 0)
    }

    /// `report` is a read: a member of `socket_group` that is not an admin gets it, and writes
    /// the page as itself; a user outside the group cannot connect.
    @Test(.enabled(if: getuid() == 0, "needs root to run verifyctl as another user"))
    func aSocketGroupMemberMayAskForTheReport() throws {
        let daemon = DaemonHarness()
        chmod(daemon.directory.path, 0o755)
        let backups = try daemon.folder("backups")
        daemon.settings = ["socket_group = \"nogroup\"", "admin_group = \"root\""]
        daemon.destinations = [DaemonFixtures.destination("d", path: backups)]
        try DaemonFixtures.archive("a.tar.gz", in: backups, work: daemon.directory)
        try daemon.start()
        #expect(waitUntil(seconds: 60) { daemon.hasFinishedRuns(1) }, "\(daemon.log_)")
        let pages = try daemon.folder("pages")
        chmod(pages, 0o777)
        let asNobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", Tool.verifyctl]
        let json = try Tool.run(asNobody + ["report", "--json", "--socket", daemon.socketPath])
        #expect(json.status == 0, "\(json.stderr)")
        let runs = ((json.object?["destinations"] as? [[String: Any]])?.first?["runs"] as? [[String: Any]]) ?? []
        #expect(runs.first?["verdict"] as? String == "pass")
        let page = try Tool.run(asNobody + ["report", "--html", pages + "/r.html", "--socket", daemon.socketPath])
        #expect(page.status == 0, "\(page.stderr)")
        var info = stat()
        #expect(stat(pages + "/r.html", &info) == 0 && info.st_uid != 0, "written by nobody")
        let outsider = try Tool.run(["setpriv", "--reuid=nobody", "--regid=12345", "--clear-groups", Tool.verifyctl, "report", "--json", "--socket", daemon.socketPath])
        #expect(outsider.status == 3)
        #expect(daemon.signal(SIGTERM) == 0)
    }

    /// The scroll width of the page laid out in a 1280 px and a 390 px frame, measured by a
    /// wrapper page in the same browser (the report itself has no script).
    func measuredWidths(_ page: String, daemon: DaemonHarness, profile: String) throws -> [Int: Int] {
        let wrapper = daemon.directory.file("measure.html")
        let name = (page as NSString).lastPathComponent
        let frames = [1280, 390].map { width in
            "<iframe src=\"\(name)\" style=\"width:\(width)px;height:900px;border:0\" "
                + "onload=\"document.body.setAttribute('data-w\(width)', this.contentDocument.documentElement.scrollWidth)\"></iframe>"
        }
        try ("<!DOCTYPE html><html><body style=\"margin:0;width:1800px\">" + frames.joined() + "</body></html>")
            .write(toFile: wrapper, atomically: true, encoding: .utf8)
        let dom = try HeadlessChromium.dumpDOM(wrapper, width: 1800, profile: profile)
        var widths: [Int: Int] = [:]
        for width in [1280, 390] {
            if let match = dom.firstMatch(of: try Regex("data-w\(width)=\"([0-9]+)\"")), let value = match.output[1].substring {
                widths[width] = Int(value)
            }
        }
        return widths
    }

    /// Copies the page, its DOM and the screenshots to `.build/test-artifacts/report-browser/`.
    func keepArtifacts(_ daemon: DaemonHarness, dom: String) -> String {
        let folder = Tool.repositoryRoot + "/.build/test-artifacts/report-browser"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["report.html", "report-1280.png", "report-390.png", "measure.html"] {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
            try? FileManager.default.copyItem(atPath: daemon.directory.file(name), toPath: folder + "/" + name)
        }
        try? dom.write(toFile: folder + "/dump-dom.html", atomically: true, encoding: .utf8)
        return folder
    }

    /// The text of a DOM, tags removed, entities for < > & decoded, spaces collapsed.
    static func text(of dom: String) -> String {
        let noTags = dom.replacing(try! Regex("<[^>]*>"), with: "")
        let decoded = noTags.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
        return decoded.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    }
}

/// Checks that are all made before any is reported, so that a failure can keep the artifacts.
struct Checks {
    var failures: [String] = []
    mutating func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }
}
