import Testing
@testable import VerifyCore

/// A manifest parse reports progress every 4,096 entries, whatever the format: the worker's
/// heartbeat counts it, so that the daemon's stall watchdog sees a long parse moving.
struct ManifestProgressTests {
    func count(_ text: String, format: ManifestFormat? = nil) throws -> Int {
        var calls = 0
        _ = try Manifest.parse(Array(text.utf8), format: format, file: "m", onProgress: { calls += 1 })
        return calls
    }

    @Test func everyFormatReportsAsItParses() throws {
        let digest = String(repeating: "ab", count: 32)
        let names = (0..<10_000).map { "dir/file-\($0)" }
        #expect(try count(names.map { "\(digest)  \($0)\n" }.joined()) == 2)
        #expect(try count(names.map { "SHA256 (\($0)) = \(digest)\n" }.joined()) == 2)
        #expect(try count("#mtree\n" + names.map { "./\($0) type=file sha256digest=\(digest)\n" }.joined()) == 2)
    }
}
