import Foundation
import Logging
import Synchronization
import Testing
import VerifySystem
import VerifyProtocol
import VerifyTestSupport

@testable import VerifyHooks

/// Flood control as the hook runner carries it out, with the runner's clock moved by hand: the
/// repeat interval and its doubling are met to the millisecond, through the real lanes, a real
/// hook and the state folder on disk (a restart keeps the record).
@Suite(.serialized, .timeLimit(.minutes(8)))
struct FloodControlClockTests {
    let directory = TemporaryDirectory("fc")
    let clock = ManualClock(1_000_000_000)
    var seen: String { directory.file("seen") }

    func runner() throws -> HookRunner {
        var configuration = HookConfiguration()
        configuration.directory = directory.file("hooks")
        configuration.stateDirectory = directory.file("state")
        configuration.repeatInterval = 3600
        configuration.maxRepeatInterval = 3 * 3600
        try FileManager.default.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
        let hook = configuration.directory + "/all-record"
        if !FileManager.default.fileExists(atPath: hook) {
            let body = "#!/bin/sh\necho \"$VERIFYD_SEQ $VERIFYD_KIND $VERIFYD_REPEAT\" >> '\(seen)'\n"
            try ExecutableScript.write(body, to: hook)
        }
        let runner = try HookRunner(
            configuration: configuration, socketPath: directory.file("none.sock"), logger: Logger(label: "verifyd.test"),
            clock: clock.function)
        // Lanes hold their runner unowned and end up to a second after `stop()`: the runner
        // outlives the test.
        Self.kept.withLock { $0.append(runner) }
        return runner
    }

    static let kept = Mutex<[HookRunner]>([])

    /// Hands an alert to the lanes at a time of the clock.
    func dispatch(_ runner: HookRunner, _ seq: Int64, _ kind: AlertKind = .verificationFailed, at time: Double) {
        clock.set(time)
        let alert = Alert(seq: seq, kind: kind, time: time, destination: "d", archive: nil, runId: nil, summary: "s", details: [], failureCount: 0)
        runner.dispatch(alert, json: Array(WireProtocol.line(AlertLine(alert: alert)).dropLast()))
    }

    /// The lines the hook wrote once it has written `count` (the lanes keep alerts in order, so
    /// a later alert's line shows that every earlier one was handled).
    func lines(_ count: Int) -> [String] {
        let read = { ((try? String(contentsOfFile: self.seen, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        _ = waitUntil(seconds: 20) { read().count >= count }
        return read()
    }

    @Test func repeatsGoOutAtTheIntervalToTheMillisecondAndARestartKeepsTheRecord() throws {
        let t0 = clock.now
        let hour = 3600.0
        let first = try runner()
        dispatch(first, 1, at: t0)
        dispatch(first, 2, at: t0 + hour - 0.001)
        dispatch(first, 3, at: t0 + hour)
        #expect(lines(2) == ["1 verification_failed 1", "3 verification_failed 2"], "held back 1 ms early, sent at the interval")
        first.stop()

        // A new runner on the same state folder: the next reminder waits twice as long.
        let second = try runner()
        dispatch(second, 4, at: t0 + 3 * hour - 0.001)
        dispatch(second, 5, at: t0 + 3 * hour)
        #expect(lines(3).last == "5 verification_failed 3")
        // Capped at max_repeat_interval (3 h, not 4 h).
        dispatch(second, 6, at: t0 + 6 * hour - 0.001)
        dispatch(second, 7, at: t0 + 6 * hour)
        // `recovered` always goes out and ends the series; the next failure is a first again.
        dispatch(second, 8, .recovered, at: t0 + 6 * hour + 0.001)
        dispatch(second, 9, at: t0 + 6 * hour + 0.002)
        #expect(lines(6).suffix(3) == ["7 verification_failed 4", "8 recovered 1", "9 verification_failed 1"])
        #expect(lines(6).count == 6, "alerts 2, 4 and 6 were held back")
        second.stop()
    }
}
