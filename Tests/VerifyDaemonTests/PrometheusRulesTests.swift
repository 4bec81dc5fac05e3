import Foundation
import Testing
import VerifyTestSupport

/// The shipped alerting rules pass `promtool check rules` and their unit tests (each rule shown
/// firing and not firing) pass `promtool test rules`, with Prometheus' own tool.
@Suite(.timeLimit(.minutes(8)))
struct PrometheusRulesTests {
    static let rules = Tool.repositoryRoot + "/contrib/prometheus"
    static let promtoolAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")

    @Test(.enabled(if: promtoolAvailable, "make test installs Debian's prometheus package (promtool)"))
    func theRulesAreValidAndTheirUnitTestsPass() throws {
        let check = try Tool.run(["promtool", "check", "rules", Self.rules + "/verifyd-rules.yml"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 8 rules found"), "\(check.stdout)")
        let test = try Tool.run(["promtool", "test", "rules", "verifyd-rules.test.yml"], in: Self.rules)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("SUCCESS"), "\(test.stdout)")
    }

    /// Every rule has a unit test that expects it to fire.
    @Test func everyRuleIsTestedFiring() throws {
        let rules = try String(contentsOfFile: Self.rules + "/verifyd-rules.yml", encoding: .utf8)
        let tests = try String(contentsOfFile: Self.rules + "/verifyd-rules.test.yml", encoding: .utf8)
        let names = rules.matches(of: try Regex(#"- alert: (\w+)"#)).map { String(rules[$0.range].dropFirst(9)) }
        #expect(names.count == 8)
        for name in names {
            #expect(tests.contains("alertname: \(name)\n        exp_alerts:\n          - exp_labels"), "\(name) is never tested firing")
            #expect(tests.contains("alertname: \(name)\n        exp_alerts: []"), "\(name) is never tested not firing")
        }
    }
}
