import ArgumentParser
import Foundation
import VerifyClient
import VerifyProtocol

/// `--socket` and `--json`, shared by every command that talks to verifyd.
struct DaemonConnectionOptions: ParsableArguments {
    static let defaultSocket = "/run/verifyd/verifyd.sock"

    @Option(help: ArgumentHelp(
        "The daemon's control socket (default: $VERIFYD_SOCKET, else \(defaultSocket)).", valueName: "path"))
    var socket: String?

    @Flag(help: "Print JSON: the daemon's reply as one JSON object on one line (alerts watch: one line per alert).")
    var json = false

    var socketPath: String {
        socket ?? ProcessInfo.processInfo.environment["VERIFYD_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultSocket
    }

    /// Calls the daemon; on failure prints why and exits with `unreachableStatus` or `refusedStatus`.
    /// With `monitoringLine`, a failure also prints the one line a Nagios check must print on
    /// stdout (`VERIFYD UNKNOWN: ...`).
    func call<A: Codable & Sendable, R: Codable & Sendable>(
        _ command: Command, _ arguments: A, expecting: R.Type,
        unreachableStatus: Int32 = DaemonExitStatus.unknown, refusedStatus: Int32 = DaemonExitStatus.refused,
        monitoringLine: Bool = false
    ) throws -> R {
        do {
            let client = try ControlClient(socketPath: socketPath)
            return try client.call(command, arguments, expecting: R.self)
        } catch {
            switch error.kind {
            case .daemon(.busy):
                // Refused for want of a free connection slot: the daemon is there, it is not
                // the request that is wrong. Nagios reads exit 3 as UNKNOWN.
                report(error: "verifyd is busy: \(error.message)", code: ErrorCode.busy.rawValue)
                throw ExitCode(unreachableStatus)
            case .daemon(let code):
                report(error: "verifyd refused \(command.rawValue): \(error.message)", code: code.rawValue, monitoringLine: monitoringLine)
                throw ExitCode(refusedStatus)
            case .unreachable, .protocolError:
                report(error: error.message, code: nil, monitoringLine: monitoringLine)
                throw ExitCode(unreachableStatus)
            }
        }
    }

    func report(error message: String, code: String?, monitoringLine: Bool = false) {
        if monitoringLine, !json { Output.out("VERIFYD UNKNOWN: \(message)\n") }
        if json {
            struct ErrorOutput: Encodable {
                var error: String
                var code: String?
            }
            Output.out(String(decoding: WireProtocol.line(ErrorOutput(error: message, code: code)), as: UTF8.self))
        }
        Output.err("verifyctl: \(message.printable)\n")
    }

    func printJSON<T: Encodable>(_ value: T) {
        Output.out(String(decoding: WireProtocol.line(value), as: UTF8.self))
    }
}
