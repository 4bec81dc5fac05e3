import Testing
@testable import VerifySystem

/// `[[alertmanager]]` tables: defaults, and an error naming the table and key for each mistake.
struct AlertmanagerConfigurationTests {
    static func parse(_ text: String) throws(ConfigurationError) -> DaemonConfiguration {
        try ConfigurationLoader.parse(text, file: "v.toml")
    }

    static func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func aTargetWithDefaultsAndOneWithEveryKey() throws {
        let configuration = try Self.parse("""
            [[alertmanager]]
            url = "http://127.0.0.1:9093/"
            [[alertmanager]]
            url = "https://am.example.org:9093"
            username = "verifyd"
            password_file = "/etc/verifyd/am-password"
            ca_file = "/etc/verifyd/ca.pem"
            timeout = "30s"
            repost_interval = "2m"
            host = "backup1"
            """)
        let targets = configuration.hooks.alertmanagers
        #expect(targets.count == 2)
        #expect(targets[0].url == "http://127.0.0.1:9093")
        #expect(targets[0].timeout == 10 && targets[0].repostInterval == 60 && targets[0].host == nil)
        #expect(targets[1].username == "verifyd" && targets[1].passwordFile == "/etc/verifyd/am-password")
        #expect(targets[1].caFile == "/etc/verifyd/ca.pem" && targets[1].timeout == 30 && targets[1].repostInterval == 120)
        #expect(targets[1].host == "backup1")
    }

    @Test func mistakesNameTheTableAndKey() {
        #expect(Self.error("[[alertmanager]]\nhost = \"h\"\n").contains("alertmanager[1].url"))
        #expect(Self.error("[[alertmanager]]\nurl = \"ftp://x\"\n").contains("is not an http:// or https:// URL"))
        #expect(Self.error("[[alertmanager]]\nurl = \"http://a b\"\n").contains("alertmanager[1].url"))
        #expect(Self.error("[[alertmanager]]\nurl = \"http://a\"\nusername = \"u\"\n").contains("username and password_file go together"))
        #expect(Self.error("[[alertmanager]]\nurl = \"http://a\"\npassword_file = \"relative\"\nusername = \"u\"\n").contains("alertmanager[1].password_file"))
        #expect(Self.error("[[alertmanager]]\nurl = \"http://a\"\nrepost_interval = \"1s\"\n").contains("at least 10s"))
        #expect(Self.error("[[alertmanager]]\nurl = \"http://a\"\n[[alertmanager]]\nurl = \"http://a/\"\n").contains("listed twice"))
        #expect(Self.error("[[alertmanager]]\nurl = \"http://a\"\nport = 1\n").contains("alertmanager[1].port"))
    }

    @Test func theNameLeavesCredentialsInTheURLOut() {
        #expect(AlertmanagerConfiguration(url: "https://u:p@am:9093").name == "https://am:9093")
        #expect(AlertmanagerConfiguration(url: "http://am:9093").name == "http://am:9093")
    }
}
