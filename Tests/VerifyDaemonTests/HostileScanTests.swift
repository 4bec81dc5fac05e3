import Foundation
import Testing
import VerifyClient
import VerifyProtocol
import VerifyTestSupport

/// One destination with everything issue 13 §2/§3 lists at once (symlink loops, FIFOs, sockets,
/// names with control characters, 240-byte and non-UTF-8 names, a few thousand files in deep
/// folders, dates in 1970 and 2099): while it is scanned and verified, `status` keeps
/// answering, the right archives are verified and pass, and only the right alerts go out.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct HostileScanTests {
    @Test func aHostileDestinationIsScannedAndItsGoodArchivesPass() throws {
        let daemon = DaemonHarness()
        let backups = try daemon.folder("backups")
        let files = FileManager.default
        let good = try DaemonFixtures.archive("good.tar.gz", in: backups, work: daemon.directory, seed: 1)
        let control = try DaemonFixtures.archive("x\nReply-To: evil@example.com\n\u{1B}[2J.tar.gz", in: backups, work: daemon.directory, seed: 2)
        let long = try DaemonFixtures.archive(String(repeating: "l", count: 240) + ".tar.gz", in: backups, work: daemon.directory, seed: 3)
        let ancient = try DaemonFixtures.archive("ancient.tar.gz", in: backups, work: daemon.directory, seed: 4)
        try Tool.must(["touch", "-d", "@0", ancient])
        let staging = try daemon.folder("made")
        let decoy = try DaemonFixtures.archive("decoy.tar.gz", in: staging, work: daemon.directory, seed: 5)
        try Tool.must(["touch", "-d", "2099-01-01", decoy])
        try files.moveItem(atPath: decoy + ".sha256", toPath: backups + "/decoy.tar.gz.sha256")
        try files.moveItem(atPath: decoy, toPath: backups + "/decoy.tar.gz")
        for n in 1...10 { try files.createSymbolicLink(atPath: backups + "/loop\(n)", withDestinationPath: ".") }
        try files.createSymbolicLink(atPath: backups + "/link.tar.gz", withDestinationPath: good)
        try Tool.must(["mkfifo", backups + "/fifo.tar.gz"])
        try Tool.must(["python3", "-c", """
            import os, socket, sys
            root = sys.argv[1]
            socket.socket(socket.AF_UNIX).bind(root + '/socket.tar.gz')
            open(root.encode() + b'/bad-\\xff.tar.gz', 'wb').close()
            deep = root
            for level in range(7):
                deep += '/' + str(level) * 200
                os.mkdir(deep)
                for n in range(400):
                    open(deep + '/junk-%d.bin' % n, 'w').close()
                os.symlink('..', deep + '/up')
            """, backups])
        daemon.destinations = [DaemonFixtures.destination("hostile", path: backups, extra: ["keep_verifying = 4", "max_age = \"1d\""])]
        try daemon.start()

        // `status` over one connection, timed, until the four archives verified have passed.
        let client = try ControlClient(socketPath: daemon.socketPath)
        var latencies: [Double] = []
        var state: DestinationState?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let start = Date()
            let status = try client.call(.status, StatusArguments(destination: "hostile"), expecting: StatusResult.self)
            latencies.append(Date().timeIntervalSince(start))
            state = status.destinations.first?.state
            if state == .ok, daemon.hasFinishedRuns(4) { break }
            usleep(20_000)
        }
        #expect(state == .ok, "\(daemon.log_.suffix(4000))")
        let verified = Set(daemon.runs().compactMap { $0["archive"] as? String })
        #expect(verified == [good, control, long, backups + "/decoy.tar.gz"])
        #expect(daemon.runs().allSatisfy { $0["verdict"] as? String == "pass" })
        let kinds = (try daemon.ctl(["alerts", "list", "--json"]).object?["alerts"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(kinds == ["future_mtime"], "\(kinds)")
        let status = try daemon.ctl(["status", "hostile", "--json"])
        #expect((status.object?["destinations"] as? [[String: Any]])?.first?["archives"] as? Int == 5)
        latencies.sort()
        let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        print("status over \(latencies.count) requests: median \(latencies[latencies.count / 2] * 1000) ms, p99 \(p99 * 1000) ms")
        #expect(p99 < 1, "status must keep answering while the destination is scanned (p99 \(p99) s)")
        #expect(daemon.signal(SIGTERM) == 0)
    }
}
