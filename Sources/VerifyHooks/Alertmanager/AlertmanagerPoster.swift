import Foundation
import VerifySystem

/// Posts alerts to one Alertmanager's v2 API with curl (as the email hook sends mail): https with
/// its CA file, basic authentication from a header file only the runner can read (never on a
/// command line), a timeout. Run like a hook: own process group, clean environment, killed at
/// its timeout.
struct AlertmanagerPoster: Sendable {
    let target: AlertmanagerConfiguration
    /// `Authorization: Basic ...`, written 0600 in the runner's state folder.
    let headerFile: String?
    static let curl = "/usr/bin/curl"

    init(target: AlertmanagerConfiguration, stateDirectory: String, fileName: String) throws {
        self.target = target
        guard let user = target.username, let passwordFile = target.passwordFile else {
            headerFile = nil
            return
        }
        guard let password = FileManager.default.contents(atPath: passwordFile)
            .flatMap({ String(data: $0, encoding: .utf8) })?.split(separator: "\n").first
        else {
            throw AlertmanagerError("cannot read the password_file \(passwordFile)")
        }
        let credentials = Data("\(user):\(password)".utf8).base64EncodedString()
        let path = stateDirectory + "/" + fileName + ".header"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw AlertmanagerError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let header = Array("Authorization: Basic \(credentials)\n".utf8)
        guard write(descriptor, header, header.count) == header.count else { throw AlertmanagerError("cannot write \(path)") }
        headerFile = path
    }

    /// Posts the alerts; nil when Alertmanager took them, else why not.
    func post(_ alerts: [PostableAlert]) -> String? {
        guard !alerts.isEmpty else { return nil }
        let body: Data
        do {
            body = try JSONEncoder().encode(alerts)
        } catch {
            return "cannot encode the alerts: \(error)"
        }
        var arguments = [
            "--silent", "--show-error", "--fail", "--proto", "=http,https", "--request", "POST",
            "--header", "Content-Type: application/json", "--data-binary", "@-",
            "--max-time", String(Int(target.timeout.rounded(.up))), "--output", "/dev/null",
        ]
        if let caFile = target.caFile { arguments += ["--cacert", caFile] }
        if let headerFile { arguments += ["--header", "@" + headerFile] }
        arguments.append(target.url + "/api/v2/alerts")
        let outcome = HookExecution.run(
            Self.curl, arguments: arguments, input: Array(body), environment: ["PATH": "/usr/bin:/bin"], timeout: target.timeout + 5)
        if outcome.succeeded { return nil }
        let output = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
        if outcome.notStarted { return "cannot run \(Self.curl): \(output)" }
        return output.isEmpty ? "curl ended with status \(outcome.status.map(String.init) ?? "signal")" : output
    }
}

struct AlertmanagerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
