import ArchiveReading
import VerifyCore

/// The daemon's seek indexes (`SeekIndexShelf`): handed to each run read-only, recorded by a
/// run that reads an archive whole, kept after the daemon decoded them.
extension Daemon {
    var seekIndexShelf: SeekIndexShelf { SeekIndexShelf(stateDirectory: configuration.stateDirectory) }

    /// Gives the run the kept index of `archive`, if there is one, and, on a destination that
    /// samples, asks it to record one. A destination that reads every entry never reads through
    /// an index, and recording costs a tar.gz the zlib inflater instead of ISA-L.
    func keepSeekIndex(of archive: String, in request: inout WorkerRequest, sampled: Bool) {
        guard sampled else { return }
        request.seekIndexPath = seekIndexShelf.existing(for: archive)
        request.recordsSeekIndex = true
    }

    /// Keeps the index a run recorded (decoded whole first: a worker is not trusted).
    func keptSeekIndex(_ text: String, of archive: String, runID: Int64) {
        do {
            let bytes = try seekIndexShelf.keep(text, for: archive)
            logger.debug("seek index kept", metadata: ["run.id": "\(runID)", "archive.path": "\(archive)", "index.bytes": "\(bytes)"])
        } catch {
            logger.warning("seek index from a worker not kept", metadata: ["run.id": "\(runID)", "archive.path": "\(archive)", "error": "\(error.description)"])
        }
    }
}
