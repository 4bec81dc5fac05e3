import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// OpenPGP files made by the real `gpg`, decrypted through `gpg --decrypt` and verified to their
/// contents; damage is a failure, a missing key an error.
@Suite(.timeLimit(.minutes(8)))
struct OpenPGPEnvelopeTests {
    let temp = TemporaryDirectory()
    let tree: FixtureTree
    let manifest: Manifest
    let gpg: GpgFixtures
    let tgz: String

    init() throws {
        var tree = try FixtureTree.standard(at: TemporaryDirectory.childPath(of: temp, "src"), seed: 5)
        try tree.add("big.bin", size: 300_000, seed: 11, compressible: false)
        self.tree = tree
        manifest = try Manifest.parse(tree.sha256Manifest(), file: temp.file("MANIFEST.sha256"))
        gpg = try GpgFixtures(in: temp.path)
        tgz = temp.file("backup.tar.gz")
        try Tool.must(["tar", "-czf", tgz, "."], in: tree.root)
    }

    func verify(_ path: String, gpgHome: String?) throws -> VerificationReport {
        var request = VerificationRequest(archivePath: path, manifest: manifest, seed: 1)
        request.decryptionKeys = try DecryptionKeys.load(
            ageIdentity: nil, agePassphrase: nil, gpgHome: gpgHome, names: ("age_identity", "age_passphrase", "gpg_home"))
        return ArchiveVerification.run(request)
    }

    @Test(arguments: [false, true])
    func tarGzGpgVerifiesToItsEntries(armor: Bool) throws {
        let file = try gpg.encrypt(tgz, to: temp.file("backup.tar.gz.gpg"), armor: armor)
        #expect(EnvelopeKind.of(file: file) == (armor ? .openPGPArmored : .openPGP))
        let report = try verify(file, gpgHome: gpg.home)
        #expect(report.result.verdict == .pass, "\(report.summary)")
        #expect(report.result.checked == manifest.entries.count)
        #expect(report.filters.starts(with: ["openpgp", "gzip"]), "\(report.filters)")
    }

    @Test(arguments: ["middle", "cut"])
    func damageIsAFailure(kind: String) throws {
        let file = try gpg.encrypt(tgz, to: temp.file("backup.tar.gz.gpg"))
        let size = Int(try FileManager.default.attributesOfItem(atPath: file)[.size] as! UInt64)
        if kind == "middle" {
            try Corruption.flipByte(file, at: size / 2, mask: 0x40)
        } else {
            try Corruption.truncate(file, to: size * 2 / 3)
        }
        #expect(try !gpg.gpgDecrypts(file))
        let report = try verify(file, gpgHome: gpg.home)
        #expect(report.result.verdict == .fail, "\(report.summary)")
        #expect(report.result.findings.first?.kind == .corruptArchive)
        #expect(report.result.findings.first?.actual?.contains("OpenPGP message") == true, "\(report.summary)")
    }

    @Test func missingKeyIsAnError() throws {
        let file = try gpg.encrypt(tgz, to: temp.file("backup.tar.gz.gpg"))
        let other = GpgFixturesHome(temp.file("empty-gnupg"))
        let report = try verify(file, gpgHome: other.path)
        #expect(report.result.verdict == .error, "\(report.summary)")
        #expect(report.result.error?.contains("missing or wrong") == true, "\(report.summary)")
        let none = try verify(file, gpgHome: nil)
        #expect(none.result.verdict == .error)
        #expect(none.result.error?.contains("gpg_home") == true)
    }

    @Test func goodEnvelopeAroundADamagedArchive() throws {
        let bad = temp.file("bad.tar.gz")
        try FileManager.default.copyItem(atPath: tgz, toPath: bad)
        try Corruption.flipByte(bad, at: 5000, mask: 0x10)
        let file = try gpg.encrypt(bad, to: temp.file("bad.tar.gz.gpg"))
        let report = try verify(file, gpgHome: gpg.home)
        #expect(report.result.verdict == .fail, "\(report.summary)")
        #expect(!report.result.findings.contains { $0.actual?.contains("OpenPGP message") == true })
    }
}

/// An empty GnuPG home folder (mode 700): no secret key.
private struct GpgFixturesHome {
    let path: String
    init(_ path: String) {
        self.path = path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
