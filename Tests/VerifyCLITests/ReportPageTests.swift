import Foundation
import Testing
import VerifyProtocol
@testable import VerifyCLI

/// The report page without a daemon: names from a destination stay text, the page fetches
/// nothing, every state has a symbol and a word, `--since` says what is wrong.
struct ReportPageTests {
    static let now = 1_796_083_200.0 + 5 * 86_400

    func report(archive: String, finding: FailureSummary, state: DestinationState = .failing, omitted: Int = 0) -> ReportResult {
        let run = ReportRun(
            id: 17, archive: archive, archiveSize: 1000, archiveMtime: Self.now - 7200, started: Self.now - 3700, finished: Self.now - 3600,
            verdict: .fail, entriesSeen: 10, entriesChecked: 10, failureCount: 9)
        let destination = DestinationReport(
            name: "nightly\u{1B}[31m<b>", path: "/srv/<backups>", state: state, reason: "reason with \"quotes\" & <tags>", maxAge: nil,
            shrinkAlert: nil, archives: 1, coverage: CoverageSummary(
                window: 86_400 * 7, entries: 200, verified: 50, failed: 1, oldestVerifiedAt: nil, neverVerified: 150, completeBy: Self.now + 86_400),
            runs: [run], runsOmitted: omitted, failures: [ReportFailure(run: run, error: nil, findings: [finding])], failuresOmitted: 0)
        return ReportResult(generated: Self.now, since: Self.now - 3 * 86_400, version: "t", destinations: [destination])
            .derived(timeZone: TimeZone(identifier: "UTC")!)
    }

    @Test func namesFromADestinationNeverBecomeMarkup() {
        let hostile = "/srv/<backups>/\"><script>alert(1)</script><img src=x onerror=alert(2)>.tar"
        let finding = FailureSummary(path: "a'b\"<svg onload=alert(3)>", kind: "content_mismatch", expected: "<i>e</i>", actual: "\u{7}bell")
        let page = ReportPage.render(report(archive: hostile, finding: finding))
        #expect(!page.contains("<script"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("<svg onload"))
        #expect(!page.contains("<b>") && !page.contains("<i>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("a&#39;b&quot;&lt;svg onload=alert(3)&gt;"))
        // Control characters are shown escaped, as in the terminal, not sent raw.
        #expect(!page.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(page.contains("nightly\\x1b[31m&lt;b&gt;"), "\(page.prefix(2000))")
    }

    @Test func thePageFetchesNothingAndNamesEveryStateInWords() {
        let page = ReportPage.render(report(archive: "/srv/b/x.tar", finding: FailureSummary(path: "p", kind: "missing", expected: nil, actual: nil)))
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("@import") && !page.contains("url("))
        #expect(page.contains("<meta name=\"viewport\""))
        for state in DayState.allCases {
            let (symbol, word) = ReportSymbols.day(state)
            #expect(page.contains("\(symbol) \(word)"), "the legend names \(state)")
        }
        #expect(page.contains("✗ FAILING"))
        #expect(page.contains("verifyctl show 17"))
        #expect(page.contains("… and 8 more"), "9 failures, 1 listed")
        #expect(page.contains("25%</strong> of 200 entries verified within 7d"))
        #expect(page.contains("150</strong> never verified"))
        #expect(page.contains("Full coverage expected by"))
    }

    @Test func runsLeftOutByTheBoundAreSaid() {
        let page = ReportPage.render(report(archive: "/srv/b/x.tar", finding: FailureSummary(path: nil, kind: "corrupt_archive", expected: nil, actual: "x"), omitted: 5))
        #expect(page.contains("5 older runs of the window are not in this report"))
        // The days before the oldest run shown are not claimed to have had no run.
        #expect(page.contains("<span class=\"s\">?</span><span class=\"w\">not in report</span>"))
        #expect(page.contains("1 fail, 0 error, 0 stale, 1 without a run, 2 not in this report."), "\(page)")
    }

    @Test(arguments: [("30d", 30 * 86_400.0), ("2w", 14 * 86_400.0), ("12h", 43_200.0), ("90m", 5_400.0), ("3600", 3_600.0), ("9999d", 400 * 86_400.0)])
    func sinceAcceptsDurations(text: String, seconds: Double) throws {
        #expect(try ReportWindow.seconds(text).get() == seconds)
    }

    @Test(arguments: ["", "d", "-3d", "0", "3x", "1e400d", "nan", "٣d", "3 d"])
    func sinceRefusesAnythingElseAndSaysWhy(text: String) {
        guard case .failure(let error) = ReportWindow.seconds(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.description.contains("not a duration"))
    }
}
