import Foundation
import VerifySystem

/// Runs real programs (GNU tar, bsdtar, zip, 7z, cpio, sha256sum, verifyctl) for fixtures and
/// end-to-end tests.
public enum Tool {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var stdoutBytes: [UInt8]
    }

    /// Runs `arguments[0]` (looked up on PATH) with the rest, in `directory`, stdin from `input`.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String? = nil, input: [UInt8]? = nil,
                           environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        // Feed stdin and drain stderr on other threads while stdout is read here, so no pipe fills up.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let writer = stdin.fileHandleForWriting
        group.enter()
        DispatchQueue.global().async {
            // A child that exits without reading all of its input must fail its test, not end
            // the whole test process with SIGPIPE.
            if let input { ChildProcess.writeAll(input, to: writer.fileDescriptor) }
            try? writer.close()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), stdoutBytes: [UInt8](outData))
    }

    /// Runs and requires exit status 0.
    @discardableResult
    public static func must(_ arguments: [String], in directory: String? = nil) throws -> Result {
        let result = try run(arguments, in: directory)
        guard result.status == 0 else {
            throw ToolError(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result
    }

    /// Whether a program is on PATH.
    public static func exists(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
        }
    }

    /// The repository's top folder (found from this file's path).
    public static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// The built `verifyd` (make test builds it before the tests run). Each of these three fails
    /// the test that asks for a binary older than its sources (`BinaryFreshness`).
    public static var verifyd: String {
        let root = repositoryRoot
        for candidate in [".build/debug/verifyd", ".build/release/verifyd"] where FileManager.default.isExecutableFile(atPath: root + "/" + candidate) {
            return BinaryFreshness.checked(root + "/" + candidate)
        }
        return root + "/.build/debug/verifyd"
    }

    /// The built `verifyd-hooks`.
    public static var verifydHooks: String {
        let root = repositoryRoot
        for candidate in [".build/debug/verifyd-hooks", ".build/release/verifyd-hooks"] where FileManager.default.isExecutableFile(atPath: root + "/" + candidate) {
            return BinaryFreshness.checked(root + "/" + candidate)
        }
        return root + "/.build/debug/verifyd-hooks"
    }

    /// Whether another user (nobody) can run the built binaries: not when the checkout lies in a
    /// folder only its owner may enter (`mktemp -d` makes such folders). Tests that run
    /// verifyctl as another user need it.
    public static let binariesRunnableByOthers: Bool = {
        guard let result = try? run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x", verifyctl]) else { return false }
        return result.status == 0
    }()

    /// The built `verifyctl` (make test builds it before the tests run).
    public static var verifyctl: String {
        let root = repositoryRoot
        for candidate in [".build/debug/verifyctl", ".build/release/verifyctl"] where FileManager.default.isExecutableFile(atPath: root + "/" + candidate) {
            return BinaryFreshness.checked(root + "/" + candidate)
        }
        return root + "/.build/debug/verifyctl"
    }
}

public struct ToolError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
