import ArgumentParser
import Foundation
import VerifyClient
import VerifyProtocol

/// `verifyctl alerts list|watch|test`: the alert log.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Read the alert log, follow it, or send a test alert.",
        discussion: """
            Every alert verifyd raises (\(AlertKind.allCases.map(\.rawValue).joined(separator: ", "))) \
            is written to its history database first, with a sequence number; the hook runner \
            and any subscriber read from there.
            """,
        subcommands: [AlertsListCommand.self, AlertsWatchCommand.self, AlertsTestCommand.self]
    )
}

enum AlertText {
    static func line(_ alert: Alert) -> String {
        "\(alert.seq)  \(TimeText.timestamp(alert.time))  \(alert.severity.rawValue.uppercased())  \(alert.kind.rawValue)  \(alert.summary.printable)\n"
            + alert.details.map { "      \($0.kind.printable): \(($0.path ?? "(archive)").printable)\n" }.joined()
    }
}

struct AlertsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the alert log, oldest first.",
        discussion: DaemonExitStatus.commandHelpText
    )

    @Option(help: "Only alerts after this sequence number.")
    var since: Int64 = 0

    @Option(name: .shortAndLong, help: "At most this many alerts.")
    var limit: Int = 100

    @OptionGroup var connection: DaemonConnectionOptions

    func run() throws {
        let result = try connection.call(.alerts, AlertsArguments(since: since, limit: limit), expecting: AlertsResult.self)
        if connection.json {
            connection.printJSON(result)
        } else if result.alerts.isEmpty {
            Output.out("no alerts after \(since) (the log ends at \(result.last))\n")
        } else {
            Output.out(result.alerts.map(AlertText.line).joined())
        }
    }
}

struct AlertsWatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow alerts as they are raised (from --since, then live) until interrupted.",
        discussion: """
            With --json each alert is printed as the JSON line the daemon sends. If the \
            connection is lost, watch says so and exits 3; run it again with --since set to the \
            last sequence number seen to miss nothing.

            \(DaemonExitStatus.commandHelpText)
            """
    )

    @Option(help: "Replay alerts after this sequence number first (default: only new alerts).")
    var since: Int64?

    @OptionGroup var connection: DaemonConnectionOptions

    func run() throws {
        let client: ControlClient
        do {
            client = try ControlClient(socketPath: connection.socketPath)
            try client.send(WireProtocol.line(Request(id: 1, cmd: .subscribe, args: AlertsArguments(since: since))))
            let head = try JSONDecoder().decode(ReplyHead.self, from: Data(try client.readLine()))
            if !head.ok {
                if head.error?.code == .busy {
                    connection.report(error: "verifyd is busy: \(head.error?.message ?? "")", code: ErrorCode.busy.rawValue)
                    throw ExitCode(DaemonExitStatus.unknown)
                }
                connection.report(error: "verifyd refused subscribe: \(head.error?.message ?? "")", code: head.error?.code.rawValue)
                throw ExitCode(DaemonExitStatus.refused)
            }
        } catch let error as ClientError {
            if error.kind == .daemon(.busy) {
                connection.report(error: "verifyd is busy: \(error.message)", code: ErrorCode.busy.rawValue)
            } else {
                connection.report(error: error.message, code: nil)
            }
            throw ExitCode(DaemonExitStatus.unknown)
        }
        var last = since ?? 0
        while true {
            let line: [UInt8]
            do {
                line = try client.readLine()
            } catch {
                connection.report(error: "\(error.message); resume with --since \(last)", code: nil)
                throw ExitCode(DaemonExitStatus.unknown)
            }
            guard let streamed = try? JSONDecoder().decode(AlertLine.self, from: Data(line)) else { continue }
            last = streamed.alert.seq
            if connection.json {
                Output.writeBytes(1, line + [0x0A])
            } else {
                Output.out(AlertText.line(streamed.alert))
            }
        }
    }
}

struct AlertsTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Raise a test alert, which goes out through every channel (subscribers, hooks, email).",
        discussion: "Needs root or the admin group.\n\n" + DaemonExitStatus.commandHelpText
    )

    @OptionGroup var connection: DaemonConnectionOptions

    func run() throws {
        let result = try connection.call(.testAlert, NoArguments(), expecting: TestAlertResult.self)
        if connection.json {
            connection.printJSON(result)
        } else {
            Output.out("test alert \(result.seq) raised\n")
        }
    }
}
