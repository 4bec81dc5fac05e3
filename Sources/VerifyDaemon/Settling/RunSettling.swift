import VerifyCore

/// When a run's verdict counts. A backup that is still being written (open for writing on this
/// host, or changing under the run, or changed soon after it) is not a bad backup: the run ends
/// `interrupted`, raises no alert, and the archive is verified again once it is still. A failing
/// verdict (fail, error) is held for `settle` after the run and counts only if the archive and
/// its companions are still unchanged, and closed, at the end of it. Pure: the daemon probes the
/// files and carries out the decisions.
public enum RunSettling {
    /// Why an archive is not verified now.
    public enum Reason: Sendable, Equatable {
        /// A process on this host has the archive (or a companion) open for writing.
        case stillBeingWritten(path: String)
        /// The archive (or a companion) changed size, mtime or inode, or is gone.
        case changed(path: String)
        /// The probe of the files did not answer (a filesystem that hangs).
        case noAnswer(path: String)

        /// For a run's error text and the destination's state.
        public var text: String {
            switch self {
            case .stillBeingWritten(let path): "\(path) is still being written (a process on this host has it open for writing)"
            case .changed(let path): "the archive changed during verification (\(path) changed size, mtime or inode, or is gone)"
            case .noAnswer(let path): "\(path) could not be examined within \(Int(ProbeRunner.timeout)) s (a filesystem that does not answer?)"
            }
        }
    }

    /// Before a run: start it, or wait.
    public enum Start: Sendable, Equatable {
        case start
        case wait(Reason)
    }

    /// At a run's end.
    public enum End: Sendable, Equatable {
        /// The verdict stands as it is.
        case record
        /// The run did not verify a backup.
        case interrupted(Reason)
        /// A failing verdict, to be confirmed at `until` if nothing changed by then.
        case hold(until: Double)
    }

    /// At the end of a hold.
    public enum Confirmation: Sendable, Equatable {
        case confirm
        case interrupted(Reason)
    }

    /// Before a run of `scanned` (size and mtime as the last scan saw them).
    public static func beforeRun(scanned size: Int64, mtime: Double, probe: ArchiveProbe) -> Start {
        guard let archive = probe.files.first else { return .start }
        // Swapped for a FIFO (or anything not a regular file): the run says what it is, as an
        // `error` with its alert, rather than waiting for a writer there can be none of.
        if case .notRegular = archive.writer { return .start }
        guard let identity = archive.identity, identity.size == size, identity.mtime == mtime else {
            return .wait(.changed(path: archive.path))
        }
        if let path = probe.beingWritten { return .wait(.stillBeingWritten(path: path)) }
        return .start
    }

    /// At the end of a run that found `verdict`, started on files with `identities`.
    public static func atEnd(verdict: Verdict, started identities: [FileIdentity?], probe: ArchiveProbe, settle: Double, now: Double) -> End {
        if verdict == .interrupted { return .record }
        if let path = changedPath(identities, probe) { return .interrupted(.changed(path: path)) }
        guard verdict == .fail || verdict == .error else { return .record }
        if let path = probe.beingWritten { return .interrupted(.stillBeingWritten(path: path)) }
        return settle > 0 ? .hold(until: now + settle) : .record
    }

    /// At the end of the hold of a failing verdict found on files with `identities`.
    public static func afterHold(started identities: [FileIdentity?], probe: ArchiveProbe) -> Confirmation {
        if let path = changedPath(identities, probe) { return .interrupted(.changed(path: path)) }
        if let path = probe.beingWritten { return .interrupted(.stillBeingWritten(path: path)) }
        return .confirm
    }

    /// The first file whose identity differs from the one recorded (or that appeared or went).
    static func changedPath(_ identities: [FileIdentity?], _ probe: ArchiveProbe) -> String? {
        guard identities.count == probe.files.count else { return probe.files.first?.path ?? "" }
        for (recorded, file) in zip(identities, probe.files) where recorded != file.identity {
            return file.path
        }
        // The archive itself must exist.
        if let archive = probe.files.first, archive.identity == nil { return archive.path }
        return nil
    }
}
