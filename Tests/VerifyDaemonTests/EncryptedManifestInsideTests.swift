import ArchiveReading
import Foundation
import Testing
import VerifyCore
@testable import VerifyDaemon
import VerifyTestSupport

/// `manifest_in_archive` for encrypted archives, in the worker as the daemon runs it: the
/// manifest is taken out of the decrypted archive on a first pass, then the archive is
/// decrypted again and verified against it. For OpenPGP the worker starts one gpg per pass
/// before it seals itself, as `WorkerMain.run` does. A damaged entry still fails.
@Suite(.serialized, .enabled(if: Tool.exists("age") && Tool.exists("gpg")))
struct EncryptedManifestInsideTests {
    let temp = TemporaryDirectory()

    /// A .tar.gz holding its own MANIFEST.sha256, with one file's content changed after the
    /// manifest was made when `damaged`.
    func archive(damaged: Bool) throws -> String {
        var tree = try FixtureTree.standard(at: temp.file(damaged ? "bad" : "good"))
        try tree.add("MANIFEST.sha256", tree.sha256Manifest())
        if damaged {
            let victim = try #require(tree.files.keys.sorted().first { $0 != "MANIFEST.sha256" })
            try Data("changed after the manifest\n".utf8).write(to: URL(fileURLWithPath: tree.root + "/" + victim))
        }
        let path = temp.file(damaged ? "bad.tar.gz" : "good.tar.gz")
        try Tool.must(["tar", "-czf", path, "-C", tree.root, "."])
        return path
    }

    func request(_ archive: String, keys: WorkerKeys?) -> WorkerRequest {
        var request = WorkerRequest(
            archivePath: archive, manifestPath: nil, manifestEntry: "MANIFEST.sha256", manifestFormat: nil, archiveDigestPath: nil,
            stripComponents: 0, strict: false, sample: .all, seed: 1, stallTimeout: 60, memoryLimit: 1 << 30)
        request.keys = keys
        return request
    }

    /// What the worker does between reading its request and its result, without the seal.
    func runWorker(_ request: WorkerRequest) -> WorkerResult {
        WorkerMain.verify(request, gpg: WorkerMain.startGpg(request), manifestGpg: WorkerMain.startGpg(request))
    }

    @Test func openPGPArchiveWithItsManifestInside() throws {
        let gpg = try GpgFixtures(in: temp.path)
        let keys = try #require(WorkerKeys.load(ageIdentity: nil, agePassphrase: nil, gpgHome: gpg.home))
        let good = try gpg.encrypt(try archive(damaged: false), to: temp.file("good.tar.gz.gpg"))
        let passed = runWorker(request(good, keys: keys))
        #expect(passed.verdict == .pass, "\(passed.error ?? "") \(passed.failures)")
        #expect(passed.entriesChecked > 3)
        let bad = try gpg.encrypt(try archive(damaged: true), to: temp.file("bad.tar.gz.gpg"))
        let failed = runWorker(request(bad, keys: keys))
        #expect(failed.verdict == .fail, "\(failed.error ?? "")")
        #expect(!failed.failures.isEmpty, "\(failed.error ?? "")")
    }

    @Test func ageArchiveWithItsManifestInside() throws {
        let age = try AgeFixtures(in: temp.file("keys"))
        let keys = try #require(WorkerKeys.load(ageIdentity: age.identity, agePassphrase: nil, gpgHome: nil))
        let good = try age.encrypt(try archive(damaged: false), to: temp.file("good.tar.gz.age"))
        let passed = runWorker(request(good, keys: keys))
        #expect(passed.verdict == .pass, "\(passed.error ?? "") \(passed.failures)")
        let bad = try age.encrypt(try archive(damaged: true), to: temp.file("bad.tar.gz.age"))
        let failed = runWorker(request(bad, keys: keys))
        #expect(failed.verdict == .fail, "\(failed.error ?? "")")
    }

    /// Without a keyring the first pass cannot open the archive: an error naming why, not a fail.
    @Test func openPGPWithoutAKeyringIsAnError() throws {
        let gpg = try GpgFixtures(in: temp.path)
        let good = try gpg.encrypt(try archive(damaged: false), to: temp.file("good.tar.gz.gpg"))
        let result = runWorker(request(good, keys: nil))
        #expect(result.verdict == .error, "\(result.error ?? "")")
    }
}
