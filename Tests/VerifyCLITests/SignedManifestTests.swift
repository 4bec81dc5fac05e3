import Foundation
import Testing
import VerifyTestSupport

/// Issue 18 §2: manifests signed by the real `minisign` (prehashed ED and legacy Ed) and the real
/// `signify-openbsd`, checked by `verifyctl check --trusted-key` (and `--signature`).
@Suite(.enabled(if: Tool.exists("minisign") && Tool.exists("signify-openbsd")))
struct SignedManifestTests {
    let temp = TemporaryDirectory()
    var archive: String { temp.file("backup.tar") }
    var manifest: String { temp.file("backup.sha256") }

    init() throws {
        try FileManager.default.createDirectory(atPath: temp.file("src"), withIntermediateDirectories: true)
        try Data("alpha\n".utf8).write(to: URL(fileURLWithPath: temp.file("src/a.txt")))
        try Data("beta\n".utf8).write(to: URL(fileURLWithPath: temp.file("src/b.txt")))
        try Tool.must(["tar", "-cf", archive, "a.txt", "b.txt"], in: temp.file("src"))
        let list = try Tool.must(["sha256sum", "a.txt", "b.txt"], in: temp.file("src")).stdout
        try Data(("# signed manifest\n" + list).utf8).write(to: URL(fileURLWithPath: manifest))
        for name in ["mini", "other"] {
            try Tool.must(["minisign", "-G", "-W", "-p", temp.file("\(name).pub"), "-s", temp.file("\(name).key")])
        }
        try Tool.must(["signify-openbsd", "-G", "-n", "-p", temp.file("signify.pub"), "-s", temp.file("signify.sec")])
    }

    private func check(_ extra: [String]) throws -> CheckRun { try CheckRun.run([archive, "-m", manifest] + extra) }

    private func signatureReason(_ run: CheckRun) -> String {
        run.json?["signature"]?["reason"]?.stringValue ?? "(none) \(run.stdout) \(run.stderr)"
    }

    @Test func minisignPrehashedAndLegacyAndSignifyVerify() throws {
        try Tool.must(["minisign", "-S", "-s", temp.file("mini.key"), "-m", manifest, "-t", "nightly of host7"])
        let prehashed = try check(["--trusted-key", temp.file("other.pub"), "--trusted-key", temp.file("mini.pub")])
        #expect(prehashed.status == 0 && prehashed.verdict == "pass", "\(prehashed.stdout)")
        #expect(prehashed.json?["signature"]?["verified"] == .bool(true))
        #expect(prehashed.json?["signature"]?["trustedComment"]?.stringValue == "nightly of host7")
        let text = try Tool.run([Tool.verifyctl, "check", archive, "-m", manifest, "--trusted-key", temp.file("mini.pub")])
        #expect(text.status == 0 && text.stdout.contains("trusted comment: nightly of host7"), "\(text.stdout)")

        try Tool.must(["minisign", "-S", "-l", "-s", temp.file("mini.key"), "-m", manifest, "-x", temp.file("legacy.minisig")])
        let legacy = try check(["--signature", temp.file("legacy.minisig"), "--trusted-key", temp.file("mini.pub")])
        #expect(legacy.status == 0 && legacy.json?["signature"]?["verified"] == .bool(true), "\(legacy.stdout)")

        try FileManager.default.removeItem(atPath: manifest + ".minisig")
        try Tool.must(["signify-openbsd", "-S", "-s", temp.file("signify.sec"), "-m", manifest, "-x", manifest + ".sig"])
        let signify = try check(["--trusted-key", temp.file("signify.pub")])
        #expect(signify.status == 0 && signify.json?["signature"]?["verified"] == .bool(true), "\(signify.stdout)")
        #expect(signify.json?["signature"]?["trustedComment"] == .null)
        // The same signature read by the tool that made it.
        #expect(try Tool.run(["signify-openbsd", "-V", "-p", temp.file("signify.pub"), "-m", manifest, "-x", manifest + ".sig"]).status == 0)
    }

    @Test func aKeyThatIsNotTrustedFails() throws {
        try Tool.must(["minisign", "-S", "-s", temp.file("other.key"), "-m", manifest])
        let run = try check(["--trusted-key", temp.file("mini.pub")])
        #expect(run.status == 1 && run.failureKinds() == ["signature_invalid"], "\(run.stdout)")
        #expect(signatureReason(run).contains("which is not a trusted key"))
    }

    @Test func aManifestChangedByOneByteAfterSigningFails() throws {
        try Tool.must(["minisign", "-S", "-s", temp.file("mini.key"), "-m", manifest])
        try Tool.must(["signify-openbsd", "-S", "-s", temp.file("signify.sec"), "-m", manifest, "-x", temp.file("signify.sig")])
        try Corruption.flipByte(manifest, at: 3, mask: 0x20)  // "# signed" -> "# Signed": still a good list
        #expect(try Tool.run(["minisign", "-V", "-p", temp.file("mini.pub"), "-m", manifest]).status != 0)
        let text = try Tool.run([Tool.verifyctl, "check", archive, "-m", manifest, "--trusted-key", temp.file("mini.pub")])
        #expect(text.stdout.contains("FAIL signature_invalid  (the manifest)") && text.stdout.contains("signed    NOT VERIFIED: "), "\(text.stdout)")
        for extra in [["--trusted-key", temp.file("mini.pub")], ["--signature", temp.file("signify.sig"), "--trusted-key", temp.file("signify.pub")]] {
            let run = try check(extra)
            #expect(run.status == 1 && run.failureKinds() == ["signature_invalid"], "\(run.stdout)")
            #expect(signatureReason(run).contains("does not match the manifest"), "\(signatureReason(run))")
        }
    }

    @Test func anEditedTrustedCommentFails() throws {
        try Tool.must(["minisign", "-S", "-s", temp.file("mini.key"), "-m", manifest, "-t", "host7"])
        let signature = manifest + ".minisig"
        let text = try String(contentsOfFile: signature, encoding: .utf8)
        try text.replacingOccurrences(of: "trusted comment: host7", with: "trusted comment: host8").write(toFile: signature, atomically: false, encoding: .utf8)
        let run = try check(["--trusted-key", temp.file("mini.pub")])
        #expect(run.status == 1 && signatureReason(run).contains("trusted comment"), "\(run.stdout)")
    }

    @Test(arguments: [40, 150, 190])
    func aTruncatedSignatureFileFails(keep: Int) throws {
        try Tool.must(["minisign", "-S", "-s", temp.file("mini.key"), "-m", manifest, "-t", "x"])
        let signature = manifest + ".minisig"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: signature))
        try bytes.prefix(keep).write(to: URL(fileURLWithPath: signature))
        let run = try check(["--trusted-key", temp.file("mini.pub")])
        #expect(run.status == 1 && run.failureKinds() == ["signature_invalid"], "\(run.stdout)")
        #expect(signatureReason(run).contains("truncated") || signatureReason(run).contains("not a minisign"), "\(signatureReason(run))")
    }

    /// `sha256sum backup.tar > backup.tar.sha256`, signed: the digest file is what the key vouches for.
    @Test func aSignedDigestFileBesideTheArchive() throws {
        let digest = archive + ".sha256"
        try Data(try Tool.must(["sha256sum", "backup.tar"], in: temp.path).stdout.utf8).write(to: URL(fileURLWithPath: digest))
        try Tool.must(["minisign", "-S", "-s", temp.file("mini.key"), "-m", digest, "-t", "digest of host7"])
        let run = try CheckRun.run([archive, "--trusted-key", temp.file("mini.pub")])
        #expect(run.status == 0 && run.json?["signature"]?["trustedComment"]?.stringValue == "digest of host7", "\(run.stdout)")
        try Tool.must(["minisign", "-S", "-s", temp.file("other.key"), "-m", digest])
        let forged = try CheckRun.run([archive, "--trusted-key", temp.file("mini.pub")])
        #expect(forged.status == 1 && forged.failureKinds() == ["signature_invalid"], "\(forged.stdout)")
    }

    @Test func noSignatureWithATrustedKeyFails() throws {
        let run = try check(["--trusted-key", temp.file("mini.pub")])
        #expect(run.status == 1 && signatureReason(run).contains("not signed"), "\(run.stdout)")
    }

    @Test func keyFilesOthersCanWriteAreRefused() throws {
        try Tool.must(["minisign", "-S", "-s", temp.file("mini.key"), "-m", manifest])
        for mode in ["g+w", "o+w"] {
            try Tool.must(["chmod", "644", temp.file("mini.pub")])
            try Tool.must(["chmod", mode, temp.file("mini.pub")])
            let run = try Tool.run([Tool.verifyctl, "check", archive, "-m", manifest, "--trusted-key", temp.file("mini.pub")])
            #expect(run.status == 2 && run.stderr.contains("mini.pub: trusted key is writable by"), "\(run.stderr)")
        }
        try Data("untrusted comment: x\nnot base64\n".utf8).write(to: URL(fileURLWithPath: temp.file("bad.pub")))
        let bad = try Tool.run([Tool.verifyctl, "check", archive, "-m", manifest, "--trusted-key", temp.file("bad.pub")])
        #expect(bad.status == 2 && bad.stderr.contains("bad.pub:2: not a minisign or signify public key"), "\(bad.stderr)")
        #expect(try Tool.run([Tool.verifyctl, "check", archive, "-m", manifest, "--signature", manifest + ".minisig"]).status == 64)
    }
}
