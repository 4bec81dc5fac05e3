import Foundation
import VerifyTestSupport

/// A PostgreSQL 15 server of Debian's packages, started for a test as the `postgres` user (it
/// refuses root) in a temporary folder: a Unix socket there, no TCP, fsync off.
final class PostgresServer {
    static let binaries = "/usr/lib/postgresql/15/bin"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binaries + "/postgres") }

    let folder: TemporaryDirectory
    var socketFolder: String { folder.path }
    /// The server, run as a child of the test (pg_ctl's daemon would keep the test's output
    /// pipes open, and the test waiting on them, forever).
    private let process = Process()

    init() throws {
        folder = TemporaryDirectory("verifyd-pg")
        if geteuid() == 0 { try Tool.must(["chown", "postgres:", folder.path]) }
        try Tool.must(asUser("postgres") + [Self.binaries + "/initdb", "-D", folder.file("data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = asUser("postgres") + [
            Self.binaries + "/postgres", "-D", folder.file("data"), "-k", folder.path, "-c", "listen_addresses=", "-F",
            "-c", "shared_buffers=16MB",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while try Tool.run(["pg_isready", "-q", "-h", socketFolder, "-U", "postgres"]).status != 0 {
            guard process.isRunning, ContinuousClock.now < deadline else {
                stop()
                throw ToolError(description: "postgres did not start (exit \(process.isRunning ? "none" : "\(process.terminationStatus)"))")
            }
            usleep(100_000)
        }
    }

    deinit { stop() }

    /// Fast shutdown (SIGINT), waited for.
    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        process.waitUntilExit()
    }

    /// Runs SQL through psql (as root: the client may be any user).
    func sql(_ text: String, database: String = "postgres") throws {
        try Tool.must(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketFolder, "-U", "postgres", "-d", database, "-c", text])
    }

    /// The client arguments that reach this server.
    var connection: [String] { ["-h", socketFolder, "-U", "postgres"] }
}

/// A MariaDB server of Debian's packages, started for a test as the `mysql` user in a temporary
/// folder: a Unix socket there, no networking, no grant tables (the test is its only client).
final class MariadbServer {
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/mariadbd") }

    let folder: TemporaryDirectory
    var socket: String { folder.file("sock") }
    private let process = Process()

    init() throws {
        folder = TemporaryDirectory("verifyd-my")
        if geteuid() == 0 { try Tool.must(["chown", "mysql:", folder.path]) }
        try Tool.must(asUser("mysql") + [
            "mariadb-install-db", "--no-defaults",
            "--datadir=" + folder.file("data"), "--auth-root-authentication-method=normal", "--skip-test-db",
        ])
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = asUser("mysql") + [
            "/usr/sbin/mariadbd", "--no-defaults",
            "--datadir=" + folder.file("data"), "--socket=" + socket, "--skip-networking", "--skip-grant-tables",
            "--pid-file=" + folder.file("pid"), "--log-error=" + folder.file("error.log"), "--innodb-buffer-pool-size=16M",
            "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready once it answers on its socket.
        let deadline = ContinuousClock.now + .seconds(60)
        while try Tool.run(["mariadb-admin", "--no-defaults", "-S", socket, "-u", "root", "ping"]).status != 0 {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let log = (try? String(contentsOfFile: folder.file("error.log"), encoding: .utf8)) ?? ""
                stop()
                throw ToolError(description: "mariadbd did not start: \(log.suffix(2000))")
            }
            usleep(100_000)
        }
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    func sql(_ text: String) throws {
        try Tool.must(["mariadb", "--no-defaults", "-S", socket, "-u", "root", "-e", text])
    }

    var connection: [String] { ["--no-defaults", "-S", socket, "-u", "root"] }
}

/// As root, the arguments that run a program as `user` (setpriv execs it: the same process, so
/// a signal to it reaches the server); as anyone else, none (the server runs as that user).
func asUser(_ user: String) -> [String] {
    geteuid() == 0 ? ["setpriv", "--reuid=\(user)", "--regid=\(user)", "--init-groups", "--"] : []
}
