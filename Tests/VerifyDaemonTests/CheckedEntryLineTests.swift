import Testing
@testable import VerifyDaemon

/// The worker's compact lines for the entries it read back give back every entry exactly,
/// whatever its name holds, and refuse what is not one.
struct CheckedEntryLineTests {
    @Test func roundTripsAwkwardNamesAndMissingValues() {
        let entries = [
            CheckedEntry(path: "plain/name.txt", failed: false, digest: "sha256:" + String(repeating: "ab", count: 32), size: 1234),
            CheckedEntry(path: "tab\there, newline\nthere, cr\r, back\\slash, \\t literally", failed: true, digest: nil, size: nil),
            CheckedEntry(path: "naïve/日本語/\\xff escaped text", failed: false, digest: "md5:" + String(repeating: "0f", count: 16), size: 0),
            CheckedEntry(path: "", failed: true, digest: nil, size: Int64.max),
            CheckedEntry(path: "trailing backslash\\", failed: false, digest: nil, size: -1),
        ]
        let line = CheckedEntryLine.encode(entries)
        #expect(line.last == 0x0a)
        #expect(line.dropLast().allSatisfy { $0 != 0x0a }, "one line, whatever the names hold")
        #expect(CheckedEntryLine.decode(line.dropLast()) == entries)
        #expect(CheckedEntryLine.decode(CheckedEntryLine.encode([CheckedEntry]()).dropLast()) == [])
    }

    @Test(arguments: ["", "{\"progress\":{}}", "C\t1", "C\t2\t\t\tname", "C\t0\tx\t\tname", "C\t0\t\t\tbad\\q", "C\t0\t\t\tends\\"])
    func refusesWhatIsNotABatch(text: String) {
        #expect(CheckedEntryLine.decode(Array(text.utf8)) == nil)
    }
}
