import Foundation
import VerifyProtocol

/// `verifyd --check-config`: loads the configuration and says what it sets up, or what is wrong.
public enum ConfigurationCheck {
    public static func run(path: String) -> Int32 {
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.load(path: path)
            try TrustedKeyFiles.validate(configuration, file: path)
            try DecryptionKeyFiles.validate(configuration, file: path)
        } catch {
            FileHandle.standardError.write(Data("verifyd: \(error.description)\n".utf8))
            return DaemonRunner.configurationExitStatus
        }
        var problems: [String] = []
        if let group = configuration.socketGroup, GroupLookup.gid(group) == nil {
            problems.append("\(path): socket_group: group \"\(group)\" does not exist")
        }
        if let group = configuration.adminGroup, GroupLookup.gid(group) == nil {
            problems.append("\(path): admin_group: group \"\(group)\" does not exist")
        }
        if !problems.isEmpty {
            FileHandle.standardError.write(Data(problems.map { "verifyd: \($0)\n" }.joined().utf8))
            return DaemonRunner.configurationExitStatus
        }
        var lines = ["\(path): OK", "state directory: \(configuration.stateDirectory)", "control socket: \(configuration.socketPath)"]
        lines.append("concurrency: \(configuration.concurrency), worker memory limit: \(configuration.workerMemoryLimit >> 20) MiB")
        for (index, destination) in configuration.destinations.enumerated() {
            let exists = FileManager.default.fileExists(atPath: destination.path)
            lines.append("destination[\(index + 1)] \(destination.name): \(destination.path)\(exists ? "" : " (does not exist now)")")
            let manifest: String
            switch destination.manifest {
            case .file(let template): manifest = template
            case .inArchive(let entry): manifest = "entry \(entry) inside the archive"
            case .none: manifest = "none (integrity only)"
            }
            lines.append("  archives \(destination.archives.joined(separator: " ")); manifest \(manifest); sample \(destination.sample.configurationText)")
            lines.append("  settle \(DurationText.words(destination.settle)), interval \(DurationText.words(destination.interval)), poll \(DurationText.words(destination.pollInterval)), max_age \(destination.maxAge.map(DurationText.words) ?? "off"), keep_verifying \(destination.keepVerifying)")
        }
        for warning in ConfigurationLoader.warnings(for: configuration) { lines.append("warning: \(warning)") }
        print(lines.joined(separator: "\n"))
        return 0
    }
}
