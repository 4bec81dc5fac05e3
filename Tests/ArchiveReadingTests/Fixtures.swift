import ArchiveReading
import Foundation
import VerifyCore
import VerifyTestSupport

/// A standard tree in a temporary folder, with its sha256sum manifest, ready to be archived.
struct Workspace {
    let temp = TemporaryDirectory()
    let tree: FixtureTree
    var src: String { tree.root }
    var manifestPath: String { temp.file("MANIFEST.sha256") }

    init(seed: UInt64 = 1) throws {
        tree = try FixtureTree.standard(at: TemporaryDirectory.childPath(of: temp, "src"), seed: seed)
        _ = FileManager.default.createFile(atPath: manifestPath, contents: Data(tree.sha256Manifest()))
    }

    func manifest() throws -> Manifest {
        try Manifest.parse(tree.sha256Manifest(), file: manifestPath)
    }

    /// Runs a shell-free command line in the source folder, making `name` in the temp folder.
    func archive(_ name: String, _ command: [String]) throws -> String {
        let out = temp.file(name)
        try Tool.must(command.map { $0.replacingOccurrences(of: "@OUT", with: out) }, in: src)
        return out
    }

    func verify(_ archive: String, manifest: Manifest? = nil, sample: SamplePolicy = .all, seed: UInt64 = 1,
                strip: Int = 0, strict: Bool = false, digest: (digest: Digest, source: String)? = nil) throws -> VerificationReport {
        ArchiveVerification.run(VerificationRequest(
            archivePath: archive, manifest: manifest, sample: sample, seed: seed,
            checkOptions: .init(stripComponents: strip, strict: strict), archiveDigest: digest))
    }
}

extension TemporaryDirectory {
    static func childPath(of temp: TemporaryDirectory, _ name: String) -> String {
        let path = temp.file(name)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension VerificationReport {
    var kinds: [FindingKind] { result.findings.map(\.kind) }
    var summary: String {
        "\(result.verdict) \(result.error ?? "") \(result.findings.map { "\($0.kind.rawValue) \($0.path?.description ?? "-") \($0.actual ?? "")" })"
    }
}
