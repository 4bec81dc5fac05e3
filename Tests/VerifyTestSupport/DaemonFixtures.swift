import Foundation

/// Archives for the daemon tests, made by the real tools, with their sha256sum manifests.
public enum DaemonFixtures {
    /// Builds a tree, archives it with GNU tar as `NAME` in `folder` (written under a temporary
    /// name, then renamed, as backup tools do) and writes `NAME.sha256` first.
    @discardableResult
    public static func archive(_ name: String, in folder: String, work: TemporaryDirectory, seed: UInt64 = 1, compress: Bool = true) throws -> String {
        let tree = try FixtureTree.standard(at: work.file("tree-\(name)"), seed: seed)
        let manifest = tree.sha256Manifest()
        _ = FileManager.default.createFile(atPath: folder + "/" + name + ".sha256", contents: Data(manifest))
        let staging = work.file("staging-\(name)")
        try Tool.must(["tar", compress ? "-czf" : "-cf", staging, "-C", tree.root, "."])
        try FileManager.default.moveItem(atPath: staging, toPath: folder + "/" + name)
        return folder + "/" + name
    }

    /// A plain tar with one byte of `var/log/big.log` flipped (GNU tar reads it without a word).
    public static func corruptedArchive(_ name: String, in folder: String, work: TemporaryDirectory) throws -> String {
        let tree = try FixtureTree.standard(at: work.file("tree-\(name)"), seed: 7)
        _ = FileManager.default.createFile(atPath: folder + "/" + name + ".sha256", contents: Data(tree.sha256Manifest()))
        let staging = work.file("staging-\(name)")
        try Tool.must(["tar", "-cf", staging, "-C", tree.root, "."])
        let content = tree.files["var/log/big.log"]!
        let offset = try Corruption.offset(of: Array(content.prefix(64)), in: staging)!
        try Corruption.flipByte(staging, at: offset + 100_000, mask: 0x20)
        try FileManager.default.moveItem(atPath: staging, toPath: folder + "/" + name)
        return folder + "/" + name
    }

    /// A destination table for the configuration.
    public static func destination(
        _ name: String, path: String, settle: String = "1s", poll: String = "500ms", extra: [String] = []
    ) -> String {
        ([
            "", "[[destination]]", "name = \"\(name)\"", "path = \"\(path)\"", "settle = \"\(settle)\"",
            "poll_interval = \"\(poll)\"",
        ] + extra).joined(separator: "\n")
    }
}

extension Tool.Result {
    /// stdout parsed as a JSON object.
    public var object: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
}

extension DaemonHarness {
    /// The runs of `history --json`, newest first.
    public func runs(_ destination: String? = nil) -> [[String: Any]] {
        let result = try? ctl(["history"] + (destination.map { [$0] } ?? []) + ["--json", "--limit", "100"])
        return (result?.object?["runs"] as? [[String: Any]]) ?? []
    }

    /// True once history holds exactly `count` runs and every one of them has finished: a run
    /// is listed from its start, so its count alone says nothing about its verdict.
    public func hasFinishedRuns(_ count: Int, of destination: String? = nil) -> Bool {
        let runs = runs(destination)
        return runs.count == count && runs.allSatisfy { $0["finished"] is Double }
    }

    /// The state of a destination from `status --json`.
    public func state(_ destination: String) -> String? {
        let result = try? ctl(["status", destination, "--json"])
        let destinations = result?.object?["destinations"] as? [[String: Any]]
        return destinations?.first?["state"] as? String
    }
}
