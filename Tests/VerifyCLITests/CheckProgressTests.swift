import Foundation
import Testing
import VerifyTestSupport

/// `verifyctl check`'s progress line: on a real pseudo-terminal (python3's pty), replaced in
/// place and cleared before the report; never on a file, never with --json or --no-progress.
@Suite struct CheckProgressTests {
    let temp = TemporaryDirectory()

    func zeros(gibibytes: Int) throws -> String {
        let path = temp.file("zeros.tar.gz")
        try ZerosArchive.write(path, gibibytes: gibibytes)
        return path
    }

    func onTerminal(_ arguments: [String]) throws -> (screen: String, status: Int32) {
        try PseudoTerminal.run([Tool.verifyctl] + arguments)
    }

    @Test func aTerminalGetsALineReplacedInPlaceAndClearedBeforeTheReport() throws {
        let archive = try zeros(gibibytes: 2)
        let (screen, status) = try onTerminal(["check", archive, "--threads", "1", "--inflater", "zlib"])
        #expect(status == 0, "\(screen)")
        // Each line is written as "\r", the line, then erase-to-end-of-line; the last erase clears it.
        let lines = screen.components(separatedBy: "\u{1B}[K").dropLast()
            .map { $0.replacingOccurrences(of: "\r", with: "") }.filter { !$0.isEmpty }
        // The first line at once, with the archive's size.
        let size = ProgressLineText.size(of: archive)
        #expect(screen.hasPrefix("\r0 B of \(size) (0%)  0 entries\u{1B}[K"), "\(screen.debugDescription)")
        // Later lines as the run goes: read, percentage, rate and time left.
        let later = lines.filter { $0.contains("/s") && $0.contains(" left") && $0.contains(" of \(size) (") }
        #expect(!later.isEmpty, "\(screen.debugDescription)")
        #expect(lines.count >= 2 && lines.allSatisfy { !$0.contains("\n") && $0.count < 100 }, "\(screen.debugDescription)")
        // Erased before the report, which follows on a clean line.
        let cleared = try #require(screen.range(of: "\r\u{1B}[K", options: .backwards))
        let report = screen[cleared.upperBound...]
        #expect(report.contains("result    PASS"), "\(screen.debugDescription)")
        #expect(!report.contains("entries\u{1B}[K") && !report.contains("\r\u{1B}"))
    }

    @Test(arguments: [["--json"], ["--no-progress"]])
    func aTerminalGetsNoneWhenAskedNot(flag: [String]) throws {
        try Tool.must(["sh", "-c", "printf hello > a.txt && tar -czf small.tar.gz a.txt"], in: temp.path)
        let (screen, status) = try onTerminal(["check", temp.file("small.tar.gz")] + flag)
        #expect(status == 0, "\(screen)")
        #expect(!screen.contains("\u{1B}") && !screen.contains("0 B of "), "\(screen.debugDescription)")
        #expect(screen.contains("result    PASS") || screen.contains("\"result\":\"pass\""))
    }

    @Test func aFileOrAPipeGetsNone() throws {
        let archive = try zeros(gibibytes: 1)
        // stderr to a file, stdout to a pipe; the run is long enough for several updates.
        let errFile = temp.file("stderr.txt")
        let result = try Tool.run(["sh", "-c", "exec \"$0\" check \"$1\" --threads 1 --inflater zlib 2>\"$2\"", Tool.verifyctl, archive, errFile])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("result    PASS"))
        let err = try String(contentsOfFile: errFile, encoding: .utf8)
        #expect(err.isEmpty, "\(err.debugDescription)")
        #expect(!result.stdout.contains("\u{1B}") && !result.stdout.contains("\r"))
    }
}

/// The size as the progress line words it, worked out here on its own (KiB to GiB).
enum ProgressLineText {
    static func size(of path: String) -> String {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if bytes < 1024 { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        var unit = 0
        let units = ["KiB", "MiB", "GiB"]
        while value >= 1024, unit < 2 { value /= 1024; unit += 1 }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
