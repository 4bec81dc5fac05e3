import Foundation
import Testing
import VerifyProtocol

struct PrintableTextTests {
    @Test(arguments: [
        ("plain name.tar", "plain name.tar"),
        ("x\nReply-To: evil@example.org", "x\\nReply-To: evil@example.org"),
        ("\u{1b}[31mred\u{1b}]0;title\u{07}", "\\x1b[31mred\\x1b]0;title\\x07"),
        ("tab\there\r", "tab\\there\\r"),
        ("nul\u{0}del\u{7f}", "nul\\x00del\\x7f"),
        ("c1\u{9b}31m", "c1\\u{9b}31m"),
        ("line\u{2028}sep", "line\\u{2028}sep"),
        ("evil\u{202e}rat.exe", "evil\\u{202e}rat.exe"),
        ("Überprüfung ✓ 日本", "Überprüfung ✓ 日本"),
    ])
    func controlCharactersAreEscapedAndLettersKept(_ raw: String, _ printed: String) {
        #expect(PrintableText.escaped(raw) == printed)
        #expect(!PrintableText.escaped(raw).unicodeScalars.contains(where: PrintableText.needsEscape))
    }
}

struct AlertBoundsTests {
    /// The JSON line of an alert with the given names.
    func line(archive: String, paths: [String], failureCount: Int, summary: String) -> (Alert, [UInt8]) {
        let details = paths.map { FailureSummary(path: $0, kind: "missing", expected: String(repeating: "e", count: 10_000), actual: "\u{1}" + String(repeating: "\u{2}", count: 9_999)) }
        let alert = Alert(
            seq: 1, kind: .verificationFailed, time: 0, destination: "nightly", archive: archive, runId: 7, summary: summary,
            details: details, failureCount: failureCount)
        return (alert, WireProtocol.line(alert))
    }

    @Test func aHugeNameIsCutWithAVisibleMarkerAndTheWholeAlertStaysSmall() throws {
        let long = String(repeating: "a", count: 100_000) + "/" + String(repeating: "b", count: 39_999) + "/file.txt"
        let (alert, encoded) = line(
            archive: "/backups/" + long, paths: Array(repeating: long, count: 25), failureCount: 1_000_000,
            summary: "nightly: \(long) failed verification")
        #expect(encoded.count < AlertBounds.maxEncodedBytes, "\(encoded.count) bytes")
        #expect(alert.details.count == Alert.detailLimit)
        #expect(alert.failureCount == 1_000_000, "the full count is kept")
        let path = try #require(alert.details.first?.path)
        #expect(path.contains("…[\(long.utf8.count) bytes, cut]…"))
        #expect(path.hasPrefix("aaaa") && path.hasSuffix("bbb/file.txt"), "the start and the file name are kept: \(path.suffix(40))")
        #expect(alert.archive?.hasPrefix("/backups/aaa") == true)
        #expect(alert.summary.utf8.count <= AlertBounds.summaryBytes)
        #expect(alert.annotations["description"]?.contains("... and 999980 more") == true)
        // Control characters weigh six bytes each in JSON: the bound holds for them too.
        let controls = String(repeating: "\u{1}", count: 140_000)
        let (_, encodedControls) = line(archive: controls, paths: Array(repeating: controls, count: 20), failureCount: 20, summary: controls)
        #expect(encodedControls.count < AlertBounds.maxEncodedBytes, "\(encodedControls.count) bytes")
        // Decodes back: the line is valid JSON.
        #expect(try JSONDecoder().decode(Alert.self, from: Data(encodedControls.dropLast())).details.count == 20)
    }

    @Test func shortNamesAreExactAndCutNamesKeepWholeCharacters() {
        let name = "x\nReply-To: evil@example.org\u{1b}[31m.tar"
        #expect(AlertBounds.cut(name, to: AlertBounds.nameBytes) == name, "names in JSON stay exact while they fit")
        let cut = AlertBounds.cut(String(repeating: "日", count: 1000), to: 100)
        #expect(cut.utf8.count <= 100)
        #expect(cut.hasPrefix("日") && cut.hasSuffix("日"))
        #expect(cut.contains("[3000 bytes, cut]"))
    }

    @Test func anOldOversizedAlertIsBoundedAgain() {
        var alert = Alert(
            seq: 3, kind: .verificationFailed, time: 0, destination: "d", archive: "a", runId: nil, summary: "s", details: [], failureCount: 1)
        alert.details = [FailureSummary(path: String(repeating: "p", count: 200_000), kind: "missing", expected: nil, actual: nil)]
        alert.summary = String(repeating: "s", count: 200_000)
        let bounded = alert.bounded()
        #expect(WireProtocol.line(bounded).count < AlertBounds.maxEncodedBytes)
        #expect(bounded.seq == 3 && bounded.failureCount == 1)
    }
}
