import ArchiveReading
import ArgumentParser
import VerifyCore

/// `verifyctl index ARCHIVE -o FILE`: builds a seek index alone (`check --index` builds one
/// on its way).
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build the seek index of an archive, for sampled checks that read only the sampled entries.",
        discussion: """
            Reads ARCHIVE from start to end (every header; the data of a plain tar is skipped), and \
            writes where each entry starts to FILE. `verifyctl check --index FILE` then reads a \
            sample straight from the sampled entries, as long as the archive is the same file, \
            unchanged (path, size, modification time, inode, first and last 64 KiB). So far plain tar \
            and tar.gz archives have an index (for gzip: entry offsets in the decompressed stream \
            and checkpoints to start inflating from, at most about 1% of the archive), and tar.zst \
            of several frames (pzstd) and tar.xz of several blocks (xz -T0) (their frame or block \
            starts; a file of one frame or block has none); see docs/seek-index.md.

            EXIT STATUS
              0   the index was written
              1   the archive is damaged: no index is made from a damaged archive
              2   error: the archive cannot be read, has no index of its kind, or FILE cannot be written
              64  usage: bad command line
            """)

    @Argument(help: "The archive file.")
    var archive: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the index.", valueName: "FILE"))
    var output: String

    func run() throws {
        let reader: ArchiveReader
        do {
            reader = try ArchiveReader(path: archive, options: .init(threads: 1))
        } catch {
            Output.err("verifyctl: \(error.description.printable)\n")
            throw ExitCode(ExitStatus.error)
        }
        reader.recordsSeekIndex = true
        let outcome = reader.read(into: SkippingVisitor())
        if let damage = outcome.damage {
            Output.err("verifyctl: \(archive.printable): damaged, no index made: \(damage.printable)\n")
            throw ExitCode(ExitStatus.fail)
        }
        guard let index = outcome.builtSeekIndex else {
            let why = outcome.ioError ?? outcome.seekIndexNotBuilt ?? "no index could be made"
            Output.err("verifyctl: \(archive.printable): \(why.printable)\n")
            throw ExitCode(ExitStatus.error)
        }
        do {
            try SeekIndexFile.save(index, to: output)
        } catch {
            Output.err("verifyctl: \(error.description.printable)\n")
            throw ExitCode(ExitStatus.error)
        }
        let size = index.encoded().count
        let share = outcome.fileSize > 0 ? Double(size) * 100 / Double(outcome.fileSize) : 0
        print("\(output.printable): \(index.entries.count) entries, \(size) bytes (\(String(format: "%.2f", share))% of the archive)")
    }
}

/// Reads every header and no data.
final class SkippingVisitor: EntryVisitor {
    func beginEntry(_ header: EntryHeader) -> ContentRequest { .skip }
    func endEntry(_ content: EntryContent?) {}
}
