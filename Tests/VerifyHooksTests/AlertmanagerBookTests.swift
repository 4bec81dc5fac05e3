import Testing
import VerifyProtocol
@testable import VerifyHooks

/// What Alertmanager is told, alert after alert: run alerts fire per archive until the
/// destination recovers or the archive is removed; state alerts until recovery; events once.
struct AlertmanagerBookTests {
    static func alert(_ seq: Int64, _ kind: AlertKind, _ destination: String = "nightly", archive: String? = nil, run: Int64? = nil, time: Double = 1_000) -> Alert {
        Alert(seq: seq, kind: kind, time: time + Double(seq), destination: destination, archive: archive, runId: run, summary: "\(kind.rawValue) \(destination)", details: [], failureCount: 0)
    }

    @Test func aFailedRunFiresWithItsLabelsAndAnnotationsUntilTheDestinationRecovers() {
        var book = AlertmanagerBook(host: "backup1")
        let posts = book.take(Self.alert(1, .verificationFailed, archive: "/srv/b/a.tar", run: 7))
        let fired = try! #require(posts.first)
        #expect(posts.count == 1)
        #expect(fired.labels == [
            "alertname": "verifyd_verification_failed", "host": "backup1", "destination": "nightly",
            "kind": "verification_failed", "severity": "critical", "archive": "/srv/b/a.tar",
        ])
        #expect(fired.annotations["show"] == "verifyctl show 7")
        #expect(fired.annotations["archive"] == "/srv/b/a.tar")
        #expect(fired.annotations["summary"] == "verification_failed nightly")
        #expect(fired.endsAt == nil)
        #expect(book.reposts == [fired])

        // Another destination's recovery ends nothing here.
        #expect(book.take(Self.alert(2, .recovered, "weekly")).isEmpty)
        let resolved = book.take(Self.alert(3, .recovered))
        #expect(resolved.count == 1)
        #expect(resolved.first?.labels == fired.labels)
        #expect(resolved.first?.startsAt == fired.startsAt)
        #expect(resolved.first?.endsAt == RFC3339.format(1_003))
        #expect(book.reposts.isEmpty)
    }

    @Test func aRepeatKeepsItsFirstStartAndEachArchiveIsItsOwnAlert() {
        var book = AlertmanagerBook(host: "h")
        let first = book.take(Self.alert(1, .verificationFailed, archive: "a"))[0]
        let again = book.take(Self.alert(2, .verificationFailed, archive: "a"))[0]
        #expect(again.startsAt == first.startsAt)
        _ = book.take(Self.alert(3, .verificationError, archive: "b"))
        _ = book.take(Self.alert(4, .stale))
        #expect(book.reposts.count == 3)
        // The removal of archive a ends a's alert only, and is an event of its own.
        let removal = book.take(Self.alert(5, .archiveRemoved, archive: "a"))
        #expect(removal.count == 2)
        #expect(removal[0].labels["archive"] == "a" && removal[0].endsAt == RFC3339.format(1_005))
        #expect(removal[1].labels["kind"] == "archive_removed" && removal[1].labels["archive"] == nil)
        #expect(removal[1].endsAt == RFC3339.format(1_005 + AlertmanagerBook.eventDuration))
        #expect(book.reposts.map { $0.labels["kind"] } == ["stale", "verification_error"])
    }

    @Test func eventsArePostedOnceAndNeverRepostedNorResolvedByRecovery() {
        var book = AlertmanagerBook(host: "h")
        for (seq, kind) in [(1, AlertKind.archiveShrank), (2, .futureMtime), (3, .scanLimit), (4, .coverageAtRisk), (5, .test)] {
            let posts = book.take(Self.alert(Int64(seq), kind))
            #expect(posts.count == 1)
            #expect(posts[0].endsAt == RFC3339.format(1_000 + Double(seq) + AlertmanagerBook.eventDuration))
        }
        #expect(book.reposts.isEmpty)
        #expect(book.take(Self.alert(6, .recovered)).isEmpty)
    }

    @Test func replayingTheSameLogGivesTheSameFiringAlerts() {
        let log = [
            Self.alert(1, .unavailable, "a"), Self.alert(2, .verificationFailed, "b", archive: "x"), Self.alert(3, .recovered, "a"),
            Self.alert(4, .stale, "c"),
        ]
        var first = AlertmanagerBook(host: "h")
        var second = AlertmanagerBook(host: "h")
        for alert in log { _ = first.take(alert) }
        for alert in log { _ = second.take(alert) }
        #expect(first.reposts == second.reposts)
        #expect(Set(first.reposts.compactMap { $0.labels["destination"] }) == ["b", "c"])
    }
}
