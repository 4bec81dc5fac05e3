import Foundation
import Testing
import VerifyTestSupport

/// Issue 19 through the real `verifyctl check`: `--age-identity`, `--age-passphrase` and
/// `--gpg-home` on files made by the real `age` and `gpg`; exit statuses 0 (pass), 1 (fail),
/// 2 (error: could not verify).
@Suite(.enabled(if: Tool.exists("age") && Tool.exists("gpg")), .timeLimit(.minutes(8)))
struct EncryptedCheckTests {
    let temp = TemporaryDirectory()
    let age: AgeFixtures
    var archive: String { temp.file("backup.tar.zst") }
    var manifest: String { temp.file("backup.sha256") }

    init() throws {
        age = try AgeFixtures(in: temp.file("keys"))
        try FileManager.default.createDirectory(atPath: temp.file("src"), withIntermediateDirectories: true)
        try Data(FixtureTree.content(size: 200_000, seed: 4, compressible: false)).write(to: URL(fileURLWithPath: temp.file("src/a.bin")))
        try Data("beta\n".utf8).write(to: URL(fileURLWithPath: temp.file("src/b.txt")))
        try Tool.must(["tar", "-c", "--zstd", "-f", archive, "a.bin", "b.txt"], in: temp.file("src"))
        try Data(try Tool.must(["sha256sum", "a.bin", "b.txt"], in: temp.file("src")).stdout.utf8).write(to: URL(fileURLWithPath: manifest))
    }

    @Test func ageFileVerifiesFailsWhenDamagedAndErrsWithoutItsKey() throws {
        let file = try age.encrypt(archive, to: temp.file("backup.tar.zst.age"))
        let good = try CheckRun.run([file, "-m", manifest, "--age-identity", age.identity])
        #expect(good.status == 0 && good.verdict == "pass", "\(good.stdout) \(good.stderr)")
        let wrong = try CheckRun.run([file, "-m", manifest, "--age-identity", age.otherIdentity])
        #expect(wrong.status == 2 && wrong.verdict == "error", "\(wrong.stdout)")
        let none = try CheckRun.run([file, "-m", manifest])
        #expect(none.status == 2 && none.stdout.contains("--age-identity"), "\(none.stdout)")
        try Corruption.flipByte(file, at: -100, mask: 0x02)
        let damaged = try CheckRun.run([file, "-m", manifest, "--age-identity", age.identity])
        #expect(damaged.status == 1 && damaged.failures.first?.kind == "corrupt_archive", "\(damaged.stdout)")
        #expect(damaged.json?["failures"]?.arrayValue?.first?["expected"]?.stringValue == "an intact encrypted file", "\(damaged.stdout)")
        #expect(!damaged.stdout.contains("AGE-SECRET-KEY"))
    }

    @Test func passphraseFileAndArmor() throws {
        let file = try age.encrypt(archive, to: temp.file("backup.tar.zst.age"), passphrase: "a long passphrase", armor: true)
        let good = try CheckRun.run([file, "-m", manifest, "--age-passphrase", file + ".pass"])
        #expect(good.status == 0 && good.verdict == "pass", "\(good.stdout) \(good.stderr)")
        let without = try CheckRun.run([file, "-m", manifest, "--age-identity", age.identity])
        #expect(without.status == 2 && without.stdout.contains("passphrase"), "\(without.stdout)")
    }

    @Test func keyFileOpenToOthersIsRefused() throws {
        chmod(age.identity, 0o644)
        let file = try age.encrypt(archive, to: temp.file("backup.tar.zst.age"))
        let run = try CheckRun.run([file, "-m", manifest, "--age-identity", age.identity])
        #expect(run.status == 2 && run.stdout.contains("mode 644"), "\(run.stdout)")
    }

    @Test func gpgFileVerifies() throws {
        let gpg = try GpgFixtures(in: temp.path)
        let file = try gpg.encrypt(archive, to: temp.file("backup.tar.zst.gpg"))
        let good = try CheckRun.run([file, "-m", manifest, "--gpg-home", gpg.home])
        #expect(good.status == 0 && good.verdict == "pass", "\(good.stdout) \(good.stderr)")
        let size = Int(try FileManager.default.attributesOfItem(atPath: file)[.size] as! UInt64)
        try Corruption.truncate(file, to: size - 300)
        let cut = try CheckRun.run([file, "-m", manifest, "--gpg-home", gpg.home])
        #expect(cut.status == 1 && cut.failureKinds().contains("corrupt_archive"), "\(cut.stdout)")
    }
}
