import Foundation
import Testing
import VerifyTestSupport

/// Names from an archive and its manifest reach the terminal escaped: ESC and C1 sequences,
/// whether valid UTF-8 (U+009B, a CSI to xterm) or raw bytes that are not UTF-8 at all.
struct PrintableOutputTests {
    @Test func entryNamesWithControlSequencesAreEscapedInTextAndExactInJSON() throws {
        let temp = TemporaryDirectory()
        let tree = temp.file("tree")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        // Raw bytes: 0x9B (C1 CSI, not UTF-8 here), 0xFF, then ESC [2J (clear screen).
        let raw: [UInt8] = Array("a".utf8) + [0x9B] + Array("31mb".utf8) + [0xFF, 0x1B] + Array("[2J".utf8)
        try Tool.must(["sh", "-c", #"printf x > "$1/$(printf 'a\23331mb\377\033[2J')""#, "sh", tree])
        // A valid UTF-8 C1 control and an OSC title sequence, in the manifest only.
        let manifest = temp.file("a.sha256")
        try "\(String(repeating: "0", count: 64))  zz\u{9b}31m\u{1b}]0;title\u{07}\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        let archive = temp.file("a.tar")
        try Tool.must(["tar", "-cf", archive, "-C", tree, "."])

        let text = try Tool.run([Tool.verifyctl, "check", archive, "--manifest", manifest, "--strict"])
        #expect(text.status == 1)
        #expect(!text.stdoutBytes.contains(0x1B) && !text.stdoutBytes.contains(0x9B) && !text.stdoutBytes.contains(0xFF) && !text.stdoutBytes.contains(0x07))
        #expect(!text.stdout.contains("\u{9b}"), "no C1 control as UTF-8 either")
        #expect(text.stdout.contains("a\\x9b31mb\\xff\\x1b[2J"), "\(text.stdout)")
        #expect(text.stdout.contains("zz\\u{9b}31m\\x1b]0;title\\x07"), "\(text.stdout)")

        let json = try Tool.run([Tool.verifyctl, "check", archive, "--manifest", manifest, "--strict", "--json"])
        let report = try #require(json.object)
        let failures = report["failures"] as? [[String: Any]] ?? []
        #expect(failures.contains { $0["path"] as? String == "zz\u{9b}31m\u{1b}]0;title\u{07}" }, "exact in JSON: \(failures)")
        #expect(failures.contains { $0["pathHex"] as? String == raw.map { String(format: "%02x", $0) }.joined() }, "raw bytes as hex: \(failures)")
    }
}
