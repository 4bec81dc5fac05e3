import Foundation
import VerifyCore

/// Runs the real `verifyctl check … --json` and reads its answer.
public struct CheckRun {
    public var status: Int32
    public var json: JSONValue?
    public var stdout: String
    public var stderr: String

    public static func run(_ arguments: [String], in directory: String? = nil) throws -> CheckRun {
        let result = try Tool.run([Tool.verifyctl, "check"] + arguments + ["--json"], in: directory)
        let json = try? JSONValue.parse(Array(result.stdout.utf8))
        return CheckRun(status: result.status, json: json, stdout: result.stdout, stderr: result.stderr)
    }

    public var verdict: String? { json?["result"]?.stringValue }

    /// (kind, path) of every failure.
    public var failures: [(kind: String, path: String?)] {
        (json?["failures"]?.arrayValue ?? []).map { ($0["kind"]?.stringValue ?? "", $0["path"]?.stringValue) }
    }

    public func failureKinds() -> Set<String> { Set(failures.map(\.kind)) }
}
