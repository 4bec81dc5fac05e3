import Foundation
import Testing
import VerifyCore
import VerifyProtocol
import VerifyStore
@testable import VerifyDaemon

/// A report reply stays small whatever names a destination holds: each name and text is cut to
/// `ReportBounds.textBytes`, keeping its start and its file name.
struct ReportBoundsTests {
    @Test func aHugeArchiveNameIsCutInTheMiddle() throws {
        let name = "/srv/b/" + String(repeating: "x", count: 100_000) + "\u{1B}[2J/etc-2026.tar"
        var record = RunRecord(
            destination: "d", archivePath: name, archiveSize: 1, archiveMtime: 1, trigger: "arrival", started: 1, sample: "all", seed: 1)
        record.id = 9
        record.verdict = .fail
        record.finished = 2
        let run = ReportRun(record)
        let encoded = try JSONEncoder().encode(run)
        #expect(encoded.count < ReportBounds.textBytes + 400, "\(encoded.count) bytes")
        #expect(run.archive.hasPrefix("/srv/b/xxx") && run.archive.hasSuffix("/etc-2026.tar"))
        #expect(run.archive.contains("bytes, cut]"))
    }
}
