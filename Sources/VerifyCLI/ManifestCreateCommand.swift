import ArchiveReading
import ArgumentParser
import Foundation
import VerifyCore

/// `verifyctl manifest create`: the manifest of a directory (at backup time) or of an archive.
struct ManifestCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Write the manifest of a directory or of an archive.",
        discussion: """
            For a directory, names are relative to it, so `sha256sum -c MANIFEST` run inside it \
            accepts a sha256sum-format manifest. Symlinks are not followed. The sha256sum and \
            bsd formats list regular files only; mtree and json list every entry with its type, \
            size, mode, owner and time.

            EXIT STATUS
              0   the manifest was written
              1   the archive is damaged (entries that could not be read are named)
              2   PATH or the output could not be read or written
              64  usage: bad command line
            """
    )

    @Argument(help: "A directory, or an archive file.")
    var path: String

    @Option(name: .customLong("format"), help: "Manifest format: sha256sum (the default), b2sum (the default with --algorithm blake2b), bsd, mtree or json.")
    var formatName: String?

    @Option(help: "Digest algorithm: sha256 (the default; blake2b for --format b2sum), sha512, sha384, sha1, md5 or blake2b (written as a b2sum list unless --format says otherwise).")
    var algorithm: String?

    /// The format asked for; b2sum for blake2b digests, else sha256sum.
    private var format: String { formatName ?? (algorithm == "blake2b" ? "b2sum" : "sha256sum") }

    /// sha256, or blake2b for a b2sum list.
    private var chosenAlgorithm: DigestAlgorithm? {
        algorithm.map { DigestAlgorithm(rawValue: $0) } ?? (format == "b2sum" ? .blake2b : .sha256)
    }

    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output (replaced atomically).")
    var output: String?

    func validate() throws {
        guard let manifestFormat = ManifestFormat(rawValue: format), manifestFormat != .pgBackupManifest else {
            throw ValidationError("--format must be sha256sum, b2sum, bsd, mtree or json")
        }
        guard let algorithm = chosenAlgorithm, algorithm != .crc32c else {
            throw ValidationError("--algorithm must be sha256, sha512, sha384, sha1, md5 or blake2b")
        }
        // A plain list names its algorithm only by the digests' length, and BLAKE2b's is SHA-512's.
        if manifestFormat == .sha256sum, algorithm == .blake2b { throw ValidationError("blake2b digests need --format b2sum (or bsd, or json)") }
        if manifestFormat == .b2sum, algorithm != .blake2b { throw ValidationError("--format b2sum holds blake2b digests only") }
        if manifestFormat == .mtree, algorithm == .blake2b { throw ValidationError("mtree has no keyword for blake2b digests: use b2sum, bsd or json") }
    }

    func run() throws {
        let format = ManifestFormat(rawValue: format)!
        let algorithm = chosenAlgorithm!
        do {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CommandError(description: "\(path): no such file or directory")
            }
            var entries: [ManifestEntry]
            var damaged = false
            if isDirectory.boolValue {
                entries = try DirectoryInventory(root: path, algorithm: algorithm, exclude: outputIdentity()).entries()
            } else {
                (entries, damaged) = try archiveEntries(algorithm)
            }
            if format == .sha256sum || format == .b2sum || format == .bsd {
                entries = entries.filter { $0.type == .file || $0.type == .hardlink }
            }
            let text = ManifestWriter(format: format, algorithm: algorithm).write(entries)
            try write(text)
            if damaged { throw ExitCode(ExitStatus.fail) }
        } catch let error as CommandError {
            Output.err("verifyctl: \(error.description)\n")
            throw ExitCode(ExitStatus.error)
        }
    }

    private func archiveEntries(_ algorithm: DigestAlgorithm) throws -> ([ManifestEntry], Bool) {
        let reader: ArchiveReader
        do {
            reader = try ArchiveReader(path: path)
        } catch {
            throw CommandError(description: error.description)
        }
        let collector = ManifestCollector(algorithm: algorithm)
        let outcome = reader.read(into: collector)
        if let ioError = outcome.ioError { throw CommandError(description: "\(path): \(ioError)") }
        for (entry, why) in collector.damaged {
            Output.err("verifyctl: \(path): \(entry): damaged, left out: \(why)\n")
        }
        if let damage = outcome.damage { Output.err("verifyctl: \(path): damaged archive: \(damage)\n") }
        return (collector.finish(), outcome.damage != nil || !collector.damaged.isEmpty)
    }

    private func outputIdentity() -> (dev: UInt64, ino: UInt64)? {
        guard let output else { return nil }
        var info = stat()
        guard stat(output, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    private func write(_ text: [UInt8]) throws {
        guard let output else {
            Output.writeBytes(1, text)
            return
        }
        let temporary = output + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text)) else {
            throw CommandError(description: "\(output): cannot write the manifest")
        }
        guard rename(temporary, output) == 0 else {
            unlink(temporary)
            throw CommandError(description: "\(output): cannot write the manifest: \(String(cString: strerror(errno)))")
        }
    }
}
