import Testing
import VerifyCore
@testable import VerifyDaemon

/// When a run's verdict counts, decided without files: an archive still being written, or that
/// changed under its run or during the hold after it, is never a failure.
struct RunSettlingTests {
    let archive = "/d/a.tar"
    let manifest = "/d/a.tar.sha256"

    func identity(size: Int64 = 100, mtime: Double = 1000, inode: UInt64 = 7) -> FileIdentity {
        FileIdentity(size: size, mtime: mtime, inode: inode, device: 1)
    }

    func probe(_ archive: FileIdentity?, writer: WriterState = .none, manifest: FileIdentity? = nil, manifestWriter: WriterState = .none) -> ArchiveProbe {
        ArchiveProbe(files: [
            .init(path: self.archive, identity: archive, writer: writer),
            .init(path: self.manifest, identity: manifest, writer: manifestWriter),
        ])
    }

    @Test func aRunStartsOnlyOnAStillClosedFileAsScanned() {
        #expect(RunSettling.beforeRun(scanned: 100, mtime: 1000, probe: probe(identity())) == .start)
        #expect(RunSettling.beforeRun(scanned: 100, mtime: 1000, probe: probe(identity(), writer: .writing))
            == .wait(.stillBeingWritten(path: archive)))
        #expect(RunSettling.beforeRun(scanned: 100, mtime: 1000, probe: probe(identity(), manifest: identity(), manifestWriter: .writing))
            == .wait(.stillBeingWritten(path: manifest)), "a manifest being written holds the run back too")
        #expect(RunSettling.beforeRun(scanned: 100, mtime: 1000, probe: probe(identity(size: 150))) == .wait(.changed(path: archive)))
        #expect(RunSettling.beforeRun(scanned: 100, mtime: 1000, probe: probe(nil)) == .wait(.changed(path: archive)), "gone since the scan")
        #expect(RunSettling.beforeRun(scanned: 100, mtime: 1000, probe: probe(identity(), writer: .unknown("nfs"))) == .start,
                "a check that cannot answer does not stop runs: the change rule covers it")
    }

    @Test(arguments: [Verdict.pass, .fail, .error])
    func aFileThatChangedUnderItsRunIsNoVerdict(verdict: Verdict) {
        let started = probe(identity(), manifest: identity(inode: 8)).identities
        for changed in [identity(size: 101), identity(mtime: 1000.5), identity(inode: 9)] {
            #expect(RunSettling.atEnd(verdict: verdict, started: started, probe: probe(changed, manifest: identity(inode: 8)), settle: 60, now: 5000)
                == .interrupted(.changed(path: archive)))
        }
        #expect(RunSettling.atEnd(verdict: verdict, started: started, probe: probe(identity(), manifest: identity(size: 1, inode: 8)), settle: 60, now: 5000)
            == .interrupted(.changed(path: manifest)))
        #expect(RunSettling.atEnd(verdict: verdict, started: started, probe: probe(nil, manifest: identity(inode: 8)), settle: 60, now: 5000)
            == .interrupted(.changed(path: archive)), "removed")
    }

    @Test func aPassOnAStillFileCountsAtOnceAndAFailureIsHeldForSettle() {
        let started = probe(identity()).identities
        #expect(RunSettling.atEnd(verdict: .pass, started: started, probe: probe(identity()), settle: 60, now: 5000) == .record)
        #expect(RunSettling.atEnd(verdict: .fail, started: started, probe: probe(identity()), settle: 60, now: 5000) == .hold(until: 5060))
        #expect(RunSettling.atEnd(verdict: .error, started: started, probe: probe(identity()), settle: 60, now: 5000) == .hold(until: 5060))
        #expect(RunSettling.atEnd(verdict: .fail, started: started, probe: probe(identity()), settle: 0, now: 5000) == .record, "settle 0: at once")
        #expect(RunSettling.atEnd(verdict: .interrupted, started: started, probe: probe(identity(size: 1)), settle: 60, now: 5000) == .record)
    }

    @Test func aFailureOnAFileStillOpenForWritingIsNoVerdict() {
        let started = probe(identity()).identities
        #expect(RunSettling.atEnd(verdict: .fail, started: started, probe: probe(identity(), writer: .writing), settle: 60, now: 5000)
            == .interrupted(.stillBeingWritten(path: archive)))
        #expect(RunSettling.atEnd(verdict: .pass, started: started, probe: probe(identity(), writer: .writing), settle: 60, now: 5000) == .record,
                "what was read matched, and the file did not change")
    }

    @Test func aHeldFailureCountsOnlyIfNothingChangedAndNothingWrites() {
        let started = probe(identity(), manifest: identity(inode: 8)).identities
        #expect(RunSettling.afterHold(started: started, probe: probe(identity(), manifest: identity(inode: 8))) == .confirm)
        #expect(RunSettling.afterHold(started: started, probe: probe(identity(size: 200), manifest: identity(inode: 8)))
            == .interrupted(.changed(path: archive)), "appended to after the run (tar -r, a resumed transfer)")
        #expect(RunSettling.afterHold(started: started, probe: probe(identity(), writer: .writing, manifest: identity(inode: 8)))
            == .interrupted(.stillBeingWritten(path: archive)), "reopened, nothing written yet")
        #expect(RunSettling.afterHold(started: started, probe: probe(identity(), manifest: identity(inode: 8), manifestWriter: .unknown("x")))
            == .confirm)
        #expect(RunSettling.afterHold(started: [identity()], probe: probe(identity(), manifest: identity(inode: 8)))
            == .interrupted(.changed(path: archive)), "recorded with other companions (configuration changed): not comparable")
        #expect(RunSettling.afterHold(started: probe(identity(), manifest: nil).identities, probe: probe(identity(), manifest: identity()))
            == .interrupted(.changed(path: manifest)), "the missing manifest arrived")
    }

    @Test func theReasonsNameTheFile() {
        #expect(RunSettling.Reason.stillBeingWritten(path: archive).text.contains("/d/a.tar is still being written"))
        #expect(RunSettling.Reason.changed(path: archive).text.hasPrefix("the archive changed during verification"))
    }
}
