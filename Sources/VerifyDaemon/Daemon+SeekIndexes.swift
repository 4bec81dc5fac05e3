import ArchiveReading
import VerifyCore

/// The daemon's seek indexes (`SeekIndexShelf`): handed to each run read-only, recorded by a
/// run that reads an archive whole, kept after the daemon decoded them.
extension Daemon {
    var seekIndexShelf: SeekIndexShelf { SeekIndexShelf(stateDirectory: configuration.stateDirectory) }

    /// Gives the run the kept index of `archive`, if there is one, and asks it to record one.
    func keepSeekIndex(of archive: String, in request: inout WorkerRequest) {
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
