import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// age files made by the real `age`, verified to their contents by verifyd's own age reader;
/// every damaged file is also shown to the real `age -d`, which must refuse it too.
@Suite(.timeLimit(.minutes(8)))
struct AgeEnvelopeTests {
    let temp = TemporaryDirectory()
    let tree: FixtureTree
    let manifest: Manifest
    let age: AgeFixtures
    /// An uncompressed tar of five chunks and more (a 300 kB incompressible member).
    let tar: String

    init() throws {
        var tree = try FixtureTree.standard(at: TemporaryDirectory.childPath(of: temp, "src"), seed: 3)
        try tree.add("big.bin", size: 300_000, seed: 9, compressible: false)
        self.tree = tree
        manifest = try Manifest.parse(tree.sha256Manifest(), file: temp.file("MANIFEST.sha256"))
        age = try AgeFixtures(in: TemporaryDirectory.childPath(of: temp, "keys"))
        tar = temp.file("backup.tar")
        try Tool.must(["tar", "-cf", tar, "."], in: tree.root)
    }

    func keys(identity: String? = nil, passphrase: String? = nil) throws -> DecryptionKeys? {
        try DecryptionKeys.load(
            ageIdentity: passphrase == nil ? identity ?? age.identity : identity, agePassphrase: passphrase, gpgHome: nil,
            names: ("age_identity", "age_passphrase", "gpg_home"))
    }

    func verify(_ path: String, keys: DecryptionKeys?) -> VerificationReport {
        var request = VerificationRequest(archivePath: path, manifest: manifest, seed: 1)
        request.decryptionKeys = keys
        return ArchiveVerification.run(request)
    }

    /// Where the payload's chunks start: after the header's MAC line and the 16-byte nonce.
    func payloadStart(_ path: String) throws -> Int {
        let macLine = try #require(try Corruption.offset(of: Array("\n--- ".utf8), in: path))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let end = try #require(bytes[(macLine + 1)...].firstIndex(of: UInt8(ascii: "\n")))
        return end + 1 + 16
    }

    @Test(arguments: [false, true])
    func x25519FileVerifiesToItsEntries(armor: Bool) throws {
        let file = try age.encrypt(tar, to: temp.file("backup.tar.age"), armor: armor)
        let report = verify(file, keys: try keys())
        #expect(report.result.verdict == .pass, "\(report.summary)")
        #expect(report.result.checked == manifest.entries.count)
        #expect(report.filters.first == "age")
        #expect(try age.ageDecrypts(file))
    }

    @Test func zstdTarInsideAge() throws {
        let zst = temp.file("backup.tar.zst")
        try Tool.must(["zstd", "-q", "-o", zst, tar])
        let file = try age.encrypt(zst, to: temp.file("backup.tar.zst.age"))
        let report = verify(file, keys: try keys())
        #expect(report.result.verdict == .pass, "\(report.summary)")
        #expect(report.filters.contains("zstd"), "\(report.filters)")
    }

    @Test func severalRecipientsOpenWithEitherKey() throws {
        let file = try age.encrypt(tar, to: temp.file("both.age"), recipients: [age.otherRecipient, age.recipient])
        #expect(verify(file, keys: try keys()).result.verdict == .pass)
        #expect(verify(file, keys: try keys(identity: age.otherIdentity)).result.verdict == .pass)
    }

    @Test(arguments: [false, true])
    func passphraseFileVerifies(armor: Bool) throws {
        let file = try age.encrypt(tar, to: temp.file("pass.age"), passphrase: "correct horse battery", armor: armor)
        let report = verify(file, keys: try keys(passphrase: file + ".pass"))
        #expect(report.result.verdict == .pass, "\(report.summary)")
        // Without a passphrase, or with a wrong one: could not verify, never a failure.
        let none = verify(file, keys: try keys())
        #expect(none.result.verdict == .error)
        #expect(none.result.error?.contains("passphrase") == true, "\(none.summary)")
        let wrongFile = temp.file("wrong.pass")
        FileManager.default.createFile(atPath: wrongFile, contents: Data("wrong\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(verify(file, keys: try keys(passphrase: wrongFile)).result.verdict == .error)
    }

    @Test func wrongOrMissingKeyIsAnErrorNotAFailure() throws {
        let file = try age.encrypt(tar, to: temp.file("backup.tar.age"))
        let wrong = verify(file, keys: try keys(identity: age.otherIdentity))
        #expect(wrong.result.verdict == .error)
        #expect(wrong.result.findings.isEmpty)
        #expect(wrong.result.error?.contains("missing or wrong") == true, "\(wrong.summary)")
        #expect(try !age.ageDecrypts(file, identity: age.otherIdentity))
        let missing = verify(file, keys: nil)
        #expect(missing.result.verdict == .error)
        #expect(missing.result.error?.contains("age_identity") == true)
        let secret = try String(contentsOfFile: age.otherIdentity, encoding: .utf8)
        let key = try #require(secret.split(separator: "\n").last)
        #expect(!wrong.summary.contains(String(key)))
    }

    /// A flipped byte in the header, in a middle chunk and in the last chunk; a file cut inside
    /// a chunk and one cut at a chunk's end: each a `corrupt_archive` failure at its offset.
    @Test(arguments: ["header", "middle", "last", "cut", "cut-at-chunk"])
    func damageIsAFailureAtItsOffset(kind: String) throws {
        let file = try age.encrypt(tar, to: temp.file("backup.tar.age"))
        let start = try payloadStart(file)
        let chunk = 65536 + 16
        let size = Int(try FileManager.default.attributesOfItem(atPath: file)[.size] as! UInt64)
        let offset: Int
        switch kind {
        case "header":
            let mac = try #require(try Corruption.offset(of: Array("\n--- ".utf8), in: file))
            try Corruption.flipByte(file, at: mac + 10, mask: 0x01)
            offset = mac + 1
        case "middle":
            try Corruption.flipByte(file, at: start + chunk + 100, mask: 0x40)
            offset = start + chunk
        case "last":
            try Corruption.flipByte(file, at: size - 5, mask: 0x40)
            offset = start + (size - start - 1) / chunk * chunk
        case "cut":
            try Corruption.truncate(file, to: start + 2 * chunk + 1000)
            offset = start + 2 * chunk
        default:
            try Corruption.truncate(file, to: start + 2 * chunk)
            offset = start + 2 * chunk
        }
        let report = verify(file, keys: try keys())
        #expect(report.result.verdict == .fail, "\(report.summary)")
        let finding = try #require(report.result.findings.first)
        #expect(finding.kind == .corruptArchive)
        #expect(finding.actual?.hasPrefix("at byte \(offset):") == true, "\(finding.actual ?? "")")
        #expect(try !age.ageDecrypts(file))
    }

    @Test func goodEnvelopeAroundADamagedArchive() throws {
        let tgz = temp.file("backup.tar.gz")
        try Tool.must(["tar", "-czf", tgz, "."], in: tree.root)
        try Corruption.flipByte(tgz, at: 5000, mask: 0x10)
        let file = try age.encrypt(tgz, to: temp.file("backup.tar.gz.age"))
        #expect(try age.ageDecrypts(file))
        let report = verify(file, keys: try keys())
        #expect(report.result.verdict == .fail, "\(report.summary)")
        #expect(!report.result.findings.contains { $0.expected == "an intact encrypted file" })
        #expect(report.filters.starts(with: ["age", "gzip"]), "\(report.filters)")
    }

    @Test func keyFilesOpenToOthersAreRefused() throws {
        chmod(age.identity, 0o640)
        #expect {
            _ = try keys()
        } throws: { error in
            (error as? DecryptionError)?.message.contains("mode 640") == true
        }
        let notAKey = temp.file("not-a-key.txt")
        FileManager.default.createFile(atPath: notAKey, contents: Data("# comment\nhello\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect {
            _ = try keys(identity: notAKey)
        } throws: { error in
            (error as? DecryptionError)?.message.contains("line 2 is not an age X25519 identity") == true
        }
    }

    @Test func recognisedByContentNotName() throws {
        let file = try age.encrypt(tar, to: temp.file("backup.bin"))
        #expect(EnvelopeKind.recognise(Array(try Data(contentsOf: URL(fileURLWithPath: file)).prefix(64))) == .age)
        #expect(verify(file, keys: try keys()).result.verdict == .pass)
        #expect(EnvelopeKind.recognise(Array("-----BEGIN AGE ENCRYPTED FILE-----\n".utf8)) == .ageArmored)
        #expect(EnvelopeKind.recognise(Array("ustar".utf8)) == nil)
    }
}
