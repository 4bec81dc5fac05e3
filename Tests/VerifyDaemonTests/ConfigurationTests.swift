import Testing
import VerifyCore
import VerifyTestSupport
@testable import VerifyDaemon

struct ConfigurationTests {
    func parse(_ text: String) throws(ConfigurationError) -> DaemonConfiguration {
        try ConfigurationLoader.parse(text, file: "test.toml")
    }

    @Test func theShippedExampleIsValidAndDocumented() throws {
        let configuration = try ConfigurationLoader.load(path: Tool.repositoryRoot + "/systemd/verifyd.toml.example")
        #expect(configuration.destinations.count == 1)
        let nightly = try #require(configuration.destination(named: "nightly"))
        #expect(nightly.maxAge == Double(26 * 3600))
        #expect(nightly.manifest == .file(template: "{archive}.sha256"))
        // Every key the example sets has the default value, except the ones marked "example".
        var defaults = DestinationConfiguration(name: "nightly", path: "/srv/backups/nightly")
        defaults.maxAge = 26 * 3600
        #expect(nightly == defaults)
        #expect(configuration.concurrency == DaemonConfiguration().concurrency)
        #expect(configuration.workerMemoryLimit == DaemonConfiguration().workerMemoryLimit)
    }

    @Test func aFullDestination() throws {
        let configuration = try parse("""
            concurrency = 2
            socket_group = "verifyd"
            worker_memory_limit = "512MiB"
            [[destination]]
            name = "db"
            path = "/srv/db/"
            archives = "*.tar.zst"
            manifest_in_archive = "MANIFEST.json"
            manifest_format = "json"
            archive_digest = "{dir}/SHA512SUMS.{stem}"
            strip_components = 1
            strict = true
            sample = "10%"
            interval = "1d12h"
            settle = 90
            poll_interval = "30s"
            max_age = "26h"
            keep_verifying = 7
            history_retention = "52w"
            shrink_alert = "30%"
            follow_symlinks = true
            max_scan_entries = 5000
            future_mtime_tolerance = "10m"
            [[destination]]
            name = "web"
            path = "/srv/web"
            sample = "2GiB"
            manifest = "none"
            """)
        #expect(configuration.concurrency == 2)
        #expect(configuration.workerMemoryLimit == 512 << 20)
        let db = configuration.destinations[0]
        #expect(db.path == "/srv/db")
        #expect(db.archives == ["*.tar.zst"])
        #expect(db.manifest == .inArchive(entry: "MANIFEST.json"))
        #expect(db.manifestFormat == .json)
        #expect(db.sample == .percent(10))
        #expect(db.interval == 36 * 3600)
        #expect(db.settle == 90)
        #expect(db.keepVerifying == 7)
        #expect(db.shrinkAlert == 0.3)
        #expect(configuration.destinations[1].shrinkAlert == nil)
        #expect(db.followSymlinks && db.maxScanEntries == 5000 && db.futureMtimeTolerance == 600)
        #expect(!configuration.destinations[1].followSymlinks, "off by default")
        #expect(configuration.destinations[1].maxScanEntries == 100_000)
        #expect(configuration.destinations[1].futureMtimeTolerance == 3600)
        #expect(db.historyRetention == 52 * 7 * 86400)
        #expect(configuration.destinations[1].sample == .bytes(2 << 30))
        #expect(configuration.destinations[1].manifest == ManifestLocation.none)
        #expect(PathTemplate(db.archiveDigest!).path(for: "/srv/db/x/full-1.tar.zst") == "/srv/db/x/SHA512SUMS.full-1")
    }

    @Test func theMetricsFileIsBesideTheSocketUnlessSetOrOff() throws {
        #expect(try parse("").metricsFile == "/run/verifyd/metrics.prom")
        #expect(try parse("socket = \"/tmp/v/ctl.sock\"").metricsFile == "/tmp/v/metrics.prom")
        #expect(try parse("metrics_file = \"/var/lib/node/verifyd.prom\"").metricsFile == "/var/lib/node/verifyd.prom")
        #expect(try parse("metrics_file = \"off\"").metricsFile == nil)
    }

    @Test func hooksAndAlertSockets() throws {
        let configuration = try parse("""
            [hooks]
            directory = "/etc/v/hooks.d"
            timeout = "30s"
            concurrency = 2
            repeat_interval = "2h"
            [[alert_socket]]
            path = "/run/tool.sock"
            [[alert_socket]]
            path = "/run/tool.dgram"
            type = "datagram"
            """)
        #expect(configuration.hooks.directory == "/etc/v/hooks.d")
        #expect(configuration.hooks.timeout == 30)
        #expect(configuration.hooks.concurrency == 2)
        #expect(configuration.hooks.repeatInterval == 7200)
        #expect(configuration.hooks.stateDirectory == HookConfiguration().stateDirectory)
        #expect(configuration.alertSockets == [.init(path: "/run/tool.sock"), .init(path: "/run/tool.dgram", kind: .datagram)])
    }

    @Test(arguments: [
        ("[hooks]\ntimeout = \"0s\"", "hooks.timeout: must be at least 1s"),
        ("[hooks]\ndirectroy = \"/x\"", "hooks.directroy: unknown key"),
        ("hooks = 3", "hooks: must be a table"),
        ("[[alert_socket]]\ntype = \"stream\"", "alert_socket[1].path: is required"),
        ("[[alert_socket]]\npath = \"/a\"\ntype = \"fifo\"", "alert_socket[1].type: \"fifo\" is not stream or datagram"),
        ("concurency = 2", "test.toml: concurency: unknown key"),
        ("concurrency = \"two\"", "test.toml: concurrency: must be an integer, not string"),
        ("concurrency = 0", "test.toml: concurrency: 0 is out of range 1...64"),
        ("socket = \"run/x.sock\"", "test.toml: socket: \"run/x.sock\" must be an absolute path"),
        ("[destination]\nname = \"a\"", "test.toml: destination: must be an array of tables"),
        ("[[destination]]\npath = \"/a\"", "test.toml: destination[1].name: is required"),
        ("[[destination]]\nname = \"a\"", "test.toml: destination[1].path: is required"),
        ("[[destination]]\nname = \"a b\"\npath = \"/a\"", "destination[1].name: \"a b\" must be 1 to 64 letters"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\n[[destination]]\nname = \"a\"\npath = \"/b\"", "destination[2].name: \"a\" is used by another destination"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nsettle = \"5 minutes\"", "destination[1].settle: \"5 minutes\" has an unknown unit \"minutes\""),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nmax_age = \"soon\"", "destination[1].max_age: \"soon\" is not a duration"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nsample = \"120%\"", "destination[1].sample: \"120%\" is not a percentage"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nmanifest = \"{archive}.{hash}\"", "destination[1].manifest: \"{archive}.{hash}\" has an unknown placeholder {hash}"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nmanifest = \"/etc/manifest\"", "names no placeholder"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nmanifest = \"{archive}.sha256\"\nmanifest_in_archive = \"M\"", "manifest_in_archive: cannot be used together with manifest"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\narchives = []", "destination[1].archives: must list at least one"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\narchives = [\"*.tar\", 3]", "destination[1].archives[2]: must be a string, not integer"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\n[destination.extra]\nx = 1", "destination[1].extra: unknown key"),
        ("state_directory = \"/x\"\nstate_directory = \"/y\"", "test.toml:2:"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nshrink_alert = \"30\"", "destination[1].shrink_alert: \"30\" is not a percentage from 1% to 99%"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nshrink_alert = \"100%\"", "destination[1].shrink_alert: \"100%\" is not a percentage"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nshrink_alert = 0.5", "destination[1].shrink_alert: must be a string"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nfollow_symlinks = \"yes\"", "destination[1].follow_symlinks: must be true or false, not string"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nmax_scan_entries = 10", "destination[1].max_scan_entries: 10 is out of range 100...100000000"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nfuture_mtime_tolerance = \"5s\"", "destination[1].future_mtime_tolerance: must be at least 1m"),
        ("[[destination]]\nname = \"a\"\npath = \"/a\"\nfuture_mtime_tolerance = \"soon\"", "destination[1].future_mtime_tolerance:"),
        ("metrics_file = \"metrics.prom\"", "test.toml: metrics_file: \"metrics.prom\" must be an absolute path"),
        ("metrics_file = \"/srv/b/m.prom\"\n[[destination]]\nname = \"a\"\npath = \"/srv/b\"", "metrics_file: /srv/b/m.prom is inside destination \"a\" (/srv/b): verifyd never writes into a backup folder"),
        ("name = ", "TOML syntax error"),
    ])
    func errorsNameTheFileAndKey(text: String, expected: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test(arguments: [
        ("90", 90.0), ("90s", 90), ("15m", 900), ("26h", 93_600), ("7d", 604_800), ("2w", 1_209_600),
        ("500ms", 0.5), ("1h30m", 5400), ("1.5h", 5400),
    ])
    func durations(text: String, seconds: Double) {
        #expect(ConfigurationValues.duration(text) == .success(seconds))
    }

    @Test(arguments: [("1048576", Int64(1 << 20)), ("512MiB", 512 << 20), ("2G", 2 << 30), ("500MB", 500_000_000), ("1.5KiB", 1536)])
    func sizes(text: String, bytes: Int64) {
        #expect(ConfigurationValues.byteSize(text) == .success(bytes))
    }

    @Test(arguments: [("all", SamplePolicy.all), ("ALL", .all), ("500", .count(500)), ("12.5%", .percent(12.5)), ("2GiB", .bytes(2 << 30)), ("100B", .bytes(100))])
    func samples(text: String, policy: SamplePolicy) {
        #expect(ConfigurationValues.samplePolicy(text) == .success(policy))
        #expect(ConfigurationValues.samplePolicy(policy.configurationText) == .success(policy), "round trip")
    }

    @Test func templates() {
        let archive = "/srv/b/2026/etc.tar.gz"
        #expect(PathTemplate("{archive}.sha256").path(for: archive) == "/srv/b/2026/etc.tar.gz.sha256")
        #expect(PathTemplate("{dir}/{stem}.mtree").path(for: archive) == "/srv/b/2026/etc.mtree")
        #expect(PathTemplate("{dir}/../manifests/{name}.json").path(for: archive) == "/srv/b/2026/../manifests/etc.tar.gz.json")
        #expect(PathTemplate("{dir}/{stem}-{name}.{x}{archive}").path(for: archive) == "/srv/b/2026/etc-etc.tar.gz.{x}/srv/b/2026/etc.tar.gz")
        #expect(PathTemplate("{archive}.sha256").path(for: "/srv/{dir}/a.tar") == "/srv/{dir}/a.tar.sha256", "a name is not substituted again")
        #expect(PathTemplate("{name}.md5").path(for: "a.tar") == "a.tar.md5")
        #expect(PathTemplate("{dir}/{name}").path(for: "a.tar") == "./a.tar")
        #expect(PathTemplate("x{archive").path(for: "/a.tar") == "x{archive")
        #expect(PathTemplate.stem(of: "home-2026-11-27.tar.zst") == "home-2026-11-27")
        #expect(PathTemplate.stem(of: "x.zip") == "x")
        #expect(PathTemplate.stem(of: ".tar") == ".tar")
    }
}
