import Testing
import VerifyProtocol

/// The progress line's words, without a terminal.
@Suite struct ProgressLineTests {
    @Test func aRunHalfwayShowsEveryPart() {
        let line = ProgressLine(bytesRead: 50 << 20, totalBytes: 100 << 20, entries: 12_345, elapsedSeconds: 2)
        #expect(line.percent == 50)
        #expect(line.secondsLeft == 2)
        #expect(line.text(width: 200) == "50.0 MiB of 100.0 MiB (50%)  12,345 entries  25.0 MiB/s  2s left")
    }

    @Test func theStartHasNoRateAndNoTimeLeft() {
        let line = ProgressLine(bytesRead: 0, totalBytes: 4096, entries: 0, elapsedSeconds: 0)
        #expect(line.bytesPerSecond == nil && line.secondsLeft == nil)
        #expect(line.text(width: 200) == "0 B of 4.0 KiB (0%)  0 entries")
    }

    @Test func anUnknownSizeShowsNoPercentAndNoTimeLeft() {
        let line = ProgressLine(bytesRead: 1536, totalBytes: 0, entries: 1, elapsedSeconds: 1)
        #expect(line.percent == nil && line.secondsLeft == nil)
        #expect(line.text(width: 200) == "1.5 KiB  1 entry  1.5 KiB/s")
    }

    @Test func moreReadThanTheSizeStaysAtAHundredPercent() {
        // A file that grew while it was read.
        let line = ProgressLine(bytesRead: 3000, totalBytes: 2000, entries: 2, elapsedSeconds: 1)
        #expect(line.percent == 100)
        #expect(line.secondsLeft == 0)
        #expect(line.text(width: 200).contains("(100%)"))
    }

    @Test func oddClockValuesNeverTrap() {
        for elapsed in [-1.0, 0, .nan, .infinity, 1e-300] {
            let line = ProgressLine(bytesRead: Int64.max, totalBytes: Int64.max, entries: Int.max, elapsedSeconds: elapsed)
            #expect(!line.text().isEmpty)
        }
        #expect(!ProgressLine(bytesRead: -5, totalBytes: -5, entries: -1, elapsedSeconds: 1).text().isEmpty)
    }

    @Test func theLineIsCutToTheTerminalSoItNeverWraps() {
        let line = ProgressLine(bytesRead: 50 << 30, totalBytes: 100 << 30, entries: 1_000_000, elapsedSeconds: 100)
        for width in [0, 1, 10, 40, 80] {
            #expect(line.text(width: width).count <= max(width - 1, 0))
        }
    }

    @Test(arguments: [(Int64, String)]([
        (Int64(0), "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1_572_864, "1.5 MiB"),
        (1024 * 1024 - 1, "1.0 MiB"), (5 << 40, "5.0 TiB"), (Int64.max, "8.0 EiB"),
    ]))
    func bytesForPeople(count: Int64, text: String) {
        #expect(ProgressLine.bytes(count) == text)
    }
}
