import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import VerifyTestSupport

/// A backup host in a fleet, end to end with the real servers on loopback: verifyd's metrics file
/// read by node_exporter's textfile collector, scraped by Prometheus with the shipped rules,
/// which fire into Alertmanager; verifyd-hooks posts verifyd's own alerts to the same
/// Alertmanager; its webhook receiver (a small HTTP server here) records what arrives. A
/// corrupted archive arrives by both paths, labelled with host and destination; the archive
/// replaced by a good one resolves both; every query of the shipped dashboard returns data.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct FleetTests {
    static let servers = ["/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager", "/usr/bin/prometheus-node-exporter"]
    static let available = servers.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    /// A TCP port free on loopback now.
    static func freePort() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Records every POST's body as one line of a file.
    static let receiver = """
        import http.server, sys
        out = sys.argv[2]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                with open(out, 'ab') as f:
                    f.write(body.replace(b'\\n', b' ') + b'\\n')
                self.send_response(200)
                self.end_headers()
            def log_message(self, *args):
                pass
        http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
        """

    struct Fleet {
        let daemon = DaemonHarness()
        let ports = (web: freePort(), alertmanager: freePort(), node: freePort(), prometheus: freePort())
        var processes: [AlertDeliveryTests.Background] = []
        var received: String { daemon.directory.file("received.jsonl") }
        var backups: String { daemon.directory.file("backups") }

        /// (status, labels) of every alert the receiver got, in order.
        var notifications: [(String, [String: String])] {
            let text = (try? String(contentsOfFile: received, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").flatMap { line -> [(String, [String: String])] in
                let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                let alerts = object?["alerts"] as? [[String: Any]] ?? []
                return alerts.map { (($0["status"] as? String) ?? "", ($0["labels"] as? [String: String]) ?? [:]) }
            }
        }

        func arrived(_ status: String, alertname: String) -> [String: String]? {
            notifications.first { $0.0 == status && $0.1["alertname"] == alertname }?.1
        }

        mutating func start() throws {
            let directory = daemon.directory
            let textfiles = try daemon.folder("textfiles")
            let backups = try daemon.folder("backups")
            let secret = directory.file("am-password")
            try "s3cret\n".write(toFile: secret, atomically: true, encoding: .utf8)
            daemon.settings = ["metrics_file = \"\(textfiles)/verifyd.prom\""]
            daemon.destinations = [
                "[hooks]\ndirectory = \"\(try daemon.folder("hooks.d"))\"\nstate_directory = \"\(directory.file("hooks-state"))\"",
                "[[alertmanager]]\nurl = \"http://127.0.0.1:\(ports.alertmanager)\"\nhost = \"backup-test\"\nrepost_interval = \"10s\"",
                DaemonFixtures.destination("nightly", path: backups, extra: ["coverage_window = \"7d\""]),
            ]
            try FleetTests.receiver.write(toFile: directory.file("receiver.py"), atomically: true, encoding: .utf8)
            try """
                route:
                  receiver: recorder
                  group_by: ['alertname', 'host', 'destination']
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: recorder
                    webhook_configs:
                      - url: http://127.0.0.1:\(ports.web)/
                        send_resolved: true
                """.write(toFile: directory.file("alertmanager.yml"), atomically: true, encoding: .utf8)
            try """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files: ['\(Tool.repositoryRoot)/contrib/prometheus/verifyd-rules.yml']
                alerting:
                  alertmanagers:
                    - static_configs: [{targets: ['127.0.0.1:\(ports.alertmanager)']}]
                scrape_configs:
                  - job_name: verifyd
                    static_configs: [{targets: ['127.0.0.1:\(ports.node)']}]
                """.write(toFile: directory.file("prometheus.yml"), atomically: true, encoding: .utf8)
            let start = { (arguments: [String], name: String) in
                try AlertDeliveryTests.Background(arguments, log: directory.file(name + ".log"))
            }
            processes.append(try start(["/usr/bin/python3", directory.file("receiver.py"), "\(ports.web)", received], "receiver"))
            processes.append(try start([
                "/usr/bin/prometheus-alertmanager", "--config.file=" + directory.file("alertmanager.yml"),
                "--storage.path=" + directory.file("am-data"), "--web.listen-address=127.0.0.1:\(ports.alertmanager)",
                "--cluster.listen-address=",
            ], "alertmanager"))
            processes.append(try start([
                "/usr/bin/prometheus-node-exporter", "--web.listen-address=127.0.0.1:\(ports.node)", "--collector.disable-defaults",
                "--collector.textfile", "--collector.textfile.directory=" + textfiles,
            ], "node-exporter"))
            processes.append(try start([
                "/usr/bin/prometheus", "--config.file=" + directory.file("prometheus.yml"), "--storage.tsdb.path=" + directory.file("tsdb"),
                "--web.listen-address=127.0.0.1:\(ports.prometheus)",
            ], "prometheus"))
            try daemon.start()
            processes.append(try start([Tool.verifydHooks, "--config", daemon.configPath], "hooks"))
        }

        /// The result of an instant query, as (labels, value) pairs.
        func query(_ expression: String) -> [[String: Any]] {
            let url = "http://127.0.0.1:\(ports.prometheus)/api/v1/query"
            guard let result = try? Tool.run(["curl", "-sS", "--max-time", "5", url, "--data-urlencode", "query=" + expression]),
                let object = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any],
                let data = object["data"] as? [String: Any]
            else { return [] }
            return data["result"] as? [[String: Any]] ?? []
        }

        var logs: String {
            ["receiver", "alertmanager", "node-exporter", "prometheus", "hooks"].map { name in
                "--- \(name):\n" + String(((try? String(contentsOfFile: daemon.directory.file(name + ".log"), encoding: .utf8)) ?? "").suffix(3000))
            }.joined(separator: "\n") + "\n--- verifyd:\n" + String(daemon.log_.suffix(3000))
        }
    }

    @Test(.enabled(if: available, "make test installs Debian's prometheus, prometheus-alertmanager and prometheus-node-exporter"))
    func aCorruptedArchiveAlertsByBothPathsAndItsReplacementResolvesBoth() throws {
        var fleet = Fleet()
        try fleet.start()
        // SIGKILL: children inherit the test process's blocked SIGTERM.
        defer { for process in fleet.processes { process.stop(SIGKILL) } }
        #expect(waitUntil(seconds: 60) { !fleet.query("verifyd_up == 1").isEmpty }, "Prometheus never scraped verifyd's metrics\n\(fleet.logs)")

        let archive = try DaemonFixtures.corruptedArchive("home.tar", in: fleet.backups, work: fleet.daemon.directory)
        #expect(waitUntil(seconds: 60) {
            fleet.arrived("firing", alertname: "VerifydDestinationFailing") != nil
                && fleet.arrived("firing", alertname: "verifyd_verification_failed") != nil
        }, "the failure did not arrive by both paths: \(fleet.notifications)\n\(fleet.logs)")
        let fromRules = fleet.arrived("firing", alertname: "VerifydDestinationFailing")
        #expect(fromRules?["destination"] == "nightly")
        #expect(fromRules?["host"] == "127.0.0.1:\(fleet.ports.node)")
        #expect(fromRules?["severity"] == "critical")
        let pushed = fleet.arrived("firing", alertname: "verifyd_verification_failed")
        #expect(pushed?["destination"] == "nightly")
        #expect(pushed?["host"] == "backup-test")
        #expect(pushed?["kind"] == "verification_failed")
        #expect(pushed?["severity"] == "critical")

        // A good archive under the same name, as the next night's job writes it.
        try FileManager.default.removeItem(atPath: archive)
        let good = TemporaryDirectory()
        try DaemonFixtures.archive("home.tar", in: fleet.backups, work: good, compress: false)
        #expect(waitUntil(seconds: 90) {
            fleet.arrived("resolved", alertname: "VerifydDestinationFailing") != nil
                && fleet.arrived("resolved", alertname: "verifyd_verification_failed") != nil
        }, "the recovery did not resolve both: \(fleet.notifications)\n\(fleet.logs)")

        try checkDashboardQueries(fleet)
    }

    /// Every query of contrib/grafana/verifyd-dashboard.json, with its variables set to all,
    /// returns data from the real Prometheus.
    func checkDashboardQueries(_ fleet: Fleet) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Tool.repositoryRoot + "/contrib/grafana/verifyd-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count == panels.count)
        for expression in expressions {
            let query = expression.replacing("$host", with: ".*").replacing("$destination", with: ".*")
                .replacing("$__rate_interval", with: "1m")
            #expect(waitUntil(seconds: 30) { !fleet.query(query).isEmpty }, "no data for the dashboard's query \(query)")
        }
    }
}
