import ArchiveReading
import ArgumentParser
import VerifyCore
#if canImport(Glibc)
import Glibc
#endif

/// `verifyctl check`: verify one archive now, in this process.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify one archive against its manifest (or its integrity alone).",
        discussion: """
            Reads ARCHIVE in one streaming pass, reads back the entries chosen (all of them by \
            default) and compares each with the manifest: content digest, size, type, symlink \
            target and every metadata field the manifest records. Without a manifest every entry \
            is read to its end to prove the archive is readable (integrity only).

            A compressed file that holds no archive (db.sql.gz, disk.img.zst) is read as one \
            stream: its compression is checked to its end, and a manifest line for its content \
            (HEX  db.sql, or HEX  - as sha256sum writes for its input) is checked against the \
            decompressed bytes. A pg_dump, pg_dumpall, mysqldump or mariadb-dump text dump must \
            end as its producer ends it (truncated_dump otherwise). See --raw.

            ARCHIVE - reads the archive from standard input (a pipe), as does a FIFO named as \
            ARCHIVE, in one pass as it arrives: every check a file gets, and the stream's size \
            and SHA-256 printed (--archive-digest compares them on the same pass). A zip is read \
            by its local headers and its end records are checked against them when they arrive \
            (the report says what that leaves unchecked). 7z and pg_dump custom-format dumps \
            need seeking: they are an error that names --spool DIR, which copies the stream to \
            a temporary file first and verifies that. Use set -o pipefail: the producer's exit \
            status is not seen here. A stream that sends nothing for --stall-timeout seconds is \
            an error.

            A folder holding a backup_manifest is a pg_basebackup -Ft backup: the manifest's own \
            checksum is checked, then base.tar and each tablespace tar (OID.tar) against it, \
            strictly, and pg_wal.tar as an archive, as one run (docs/manifests.md).

            gzip is inflated by verifyd itself (Intel ISA-L, or zlib with --inflater zlib) so \
            that every member's CRC-32 and length are checked.

            ARCHIVE.sha256 or ARCHIVE.sha512 beside the archive is read as the daemon reads it, by \
            its content: when its only line names the archive file itself it is the archive's \
            digest, checked on the same pass; when it lists entries it is the manifest (unless \
            --manifest names another).

            The sample is deterministic: the seed is printed, and --seed replays any run. A \
            sample of a tar still reads every header (a tar has no index); a sample of a zip \
            whose members are all plain (stored or deflated, not encrypted) reads only its \
            central directory and the sampled members, when the manifest records no modes, \
            owners or times.

            \(ExitStatus.helpText)
            """
    )

    @Argument(help: "The archive file to verify; - reads it from standard input (a pipe), as does a FIFO named here; a pg_basebackup folder (with its backup_manifest).")
    var archive: String

    @Option(help: ArgumentHelp(
        "With a stream (- or a FIFO): copy it into a temporary file in DIR first, then verify that file (for 7z and pg_dump custom-format dumps, which need seeking). The copy needs the stream's size and is removed at the end.",
        valueName: "dir"))
    var spool: String?

    @Option(name: .shortAndLong, help: "The manifest written at backup time.")
    var manifest: String?

    @Option(help: ArgumentHelp(
        "The manifest's detached signature (minisign's MANIFEST.minisig or signify's MANIFEST.sig); with --trusted-key, a signature beside the manifest is found by itself.",
        valueName: "file"))
    var signature: String?

    @Option(name: .customLong("trusted-key"), help: ArgumentHelp(
        "A minisign or signify public key file to trust (repeatable). With it the manifest must carry a signature by one of these keys, or the run fails (signature_invalid).",
        valueName: "file"))
    var trustedKeys: [String] = []

    @Option(help: "Manifest format: auto, sha256sum, b2sum, bsd, mtree, json or pg_backup_manifest.")
    var format: String = "auto"

    @Flag(help: "Check every entry the manifest lists (the default).")
    var all = false

    @Option(help: "Check N entries of the manifest, chosen by the seed.")
    var sample: Int?

    @Option(help: "Check P percent of the manifest's entries, chosen by the seed.")
    var samplePercent: Double?

    @Option(help: "Seed for the sample (printed on every run; random when not given).")
    var seed: UInt64?

    @Option(help: "Drop N leading folders of archive names before matching.")
    var stripComponents: Int = 0

    @Flag(help: "Entries the manifest does not list are failures.")
    var strict = false

    @Option(help: "A sha256sum-format file with the digest of the whole archive (default: ARCHIVE.sha256 or ARCHIVE.sha512 if present).")
    var archiveDigest: String?

    @Flag(help: "Do not look for an ARCHIVE.sha256/.sha512 sidecar.")
    var noArchiveDigest = false

    @Option(help: ArgumentHelp(
        "Restore mode: extract the checked entries into DIR (created if missing; must be empty) with libarchive's disk writer, then check the restored files from disk. DIR is emptied afterwards.",
        valueName: "dir"))
    var restoreTo: String?

    @Option(help: ArgumentHelp("The gzip decoder: isal (Intel ISA-L, the default, about 1.6 times faster) or zlib. Both check every member's CRC-32 and ISIZE.", valueName: "isal|zlib"))
    var inflater: String?

    @Option(help: ArgumentHelp("Threads to use: 2 decompresses on one core while the other parses and hashes (zip: members read on both cores), about 1.3 to 2.5 times faster; 1 leaves the other core alone.", valueName: "1|2"))
    var threads: Int = 2

    @Option(help: ArgumentHelp("With --restore-to: bytes to leave free on DIR's file system; the restore stops before (default: 5% of it, at most 1 GiB).", valueName: "bytes"))
    var restoreReserve: Int64?

    @Flag(help: "With --restore-to: leave the restored files in DIR.")
    var keepRestored = false

    @Option(help: "Seconds without progress after which the archive parser is declared stalled.")
    var stallTimeout: Double = 10

    @Option(help: ArgumentHelp(
        "The most address space this process may use, as the daemon's workers (worker_memory_limit): a parser that loops allocating ends with an out-of-memory error. Bytes, or a number with a unit (512MiB, 2GiB, 2G). Default: 4GiB; at least 256MiB.",
        valueName: "size"))
    var memoryLimit: String?

    @Flag(help: ArgumentHelp(
        "Read ARCHIVE as one stream (a database dump, a disk image), compressed or not, never as an archive. Without it, a compressed file that holds no archive is read as one stream anyway; an uncompressed one fails."))
    var raw = false

    @Option(help: ArgumentHelp(
        "A seek index: used when it matches ARCHIVE (a sample then reads only the sampled entries), written whenever ARCHIVE is read from start to end. Plain tar, tar.gz, tar.zst of several frames (pzstd) and tar.xz of several blocks (xz -T0); other formats read sequentially.",
        valueName: "FILE"))
    var index: String?

    @Option(help: ArgumentHelp(
        "An age identity file (AGE-SECRET-KEY-1... lines, as age-keygen writes) for an age-encrypted ARCHIVE. Owned by root or you, mode 600 or 400.",
        valueName: "FILE"))
    var ageIdentity: String?

    @Option(help: ArgumentHelp("A file holding the passphrase of an age file encrypted with age -p (scrypt). Owned by root or you, mode 600 or 400.", valueName: "FILE"))
    var agePassphrase: String?

    @Option(help: ArgumentHelp("The OpenPGP keyring folder (gpg --homedir) for an OpenPGP-encrypted ARCHIVE. Owned by root or you, mode 700.", valueName: "DIR"))
    var gpgHome: String?

    @Flag(help: "Print one JSON object instead of the report.")
    var json = false

    /// The archive comes as a stream: `-`, or a FIFO named on the command line.
    private var isStream: Bool { ByteStream.isStream(archive) }

    /// ARCHIVE is a pg_basebackup folder (`BaseBackupVerification`).
    private var isBaseBackup: Bool { !isStream && BaseBackupVerification.isBaseBackup(archive) }

    @Flag(help: "No progress line on stderr (it is shown only when stderr is a terminal, and never with --json).")
    var noProgress = false

    func validate() throws {
        let chosen = [all, sample != nil, samplePercent != nil].filter { $0 }.count
        if chosen > 1 { throw ValidationError("choose one of --all, --sample and --sample-percent") }
        if let sample, sample < 0 { throw ValidationError("--sample must be 0 or more") }
        if let samplePercent, !(0...100).contains(samplePercent) { throw ValidationError("--sample-percent must be from 0 to 100") }
        if stripComponents < 0 { throw ValidationError("--strip-components must be 0 or more") }
        if stallTimeout <= 0 { throw ValidationError("--stall-timeout must be more than 0") }
        if format != "auto", ManifestFormat(rawValue: format) == nil {
            throw ValidationError("--format must be auto, sha256sum, b2sum, bsd, mtree, json or pg_backup_manifest")
        }
        if let inflater, GzipBackend(rawValue: inflater) == nil { throw ValidationError("--inflater must be isal or zlib") }
        guard threads == 1 || threads == 2 else { throw ValidationError("--threads must be 1 or 2") }
        if keepRestored, restoreTo == nil { throw ValidationError("--keep-restored needs --restore-to") }
        if let restoreReserve, restoreReserve < 0 { throw ValidationError("--restore-reserve must be 0 or more") }
        if spool != nil, !isStream { throw ValidationError("--spool is for a stream (ARCHIVE - or a FIFO)") }
        if signature != nil, trustedKeys.isEmpty { throw ValidationError("--signature needs --trusted-key: a signature proves nothing without a key to trust") }
        if index != nil, isStream { throw ValidationError("--index is for an archive file, not a stream") }
        if archiveDigest != nil, noArchiveDigest { throw ValidationError("--archive-digest and --no-archive-digest exclude each other") }
        _ = try memoryLimitBytes()
    }

    /// `--memory-limit` in bytes (the workers' default when not given).
    func memoryLimitBytes() throws -> Int64 {
        guard let memoryLimit else { return MemoryLimit.defaultBytes }
        switch ByteSize.parse(memoryLimit) {
        case .success(let bytes) where bytes >= MemoryLimit.minimumBytes: return bytes
        case .success: throw ValidationError("--memory-limit \(memoryLimit) is too small: at least 256MiB (the process needs about 200 MiB of address space to start its threads)")
        case .failure: throw ValidationError("--memory-limit \(memoryLimit) is not a size: bytes, or a number with a unit such as 512MiB, 2GiB or 2G")
        }
    }

    func run() throws {
        // Before anything of the archive is read (validate() checked the value).
        MemoryLimit.apply(try memoryLimitBytes())
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let request: VerificationRequest
        let manifestPath: String?
        let keys: [TrustedKey]
        var folder: String?
        do {
            (request, manifestPath) = try makeRequest(seed: seed, stream: isStream)
            // A key file that cannot be trusted or read ends the command before any reading.
            keys = try trustedKeys.map(ManifestSignatureCheck.loadTrustedKey)
            folder = try restoreTo.map(RestoreFolder.prepare)
        } catch {
            try refuse(error, seed: seed)
        }
        var restoring = request
        // A stream is read in one pass; with --spool it is copied whole first, then read as a
        // file (see StreamSpool).
        var copy: StreamSpool?
        do {
            copy = try openStream(into: &restoring)
        } catch {
            if let folder { RestoreFolder.empty(folder) }
            try refuse(error, seed: seed)
        }
        defer { copy?.remove() }
        restoring.restoreTo = folder
        let progress = configure(&restoring)
        let indexNote = index.flatMap { CheckIndexOption.prepare($0, &restoring) }
        armFatalExit(seed: seed)
        var report = isBaseBackup ? BaseBackupVerification.run(restoring) : ArchiveVerification.run(restoring)
        FatalExitGuard.disarm()
        progress?.clear()
        if let folder, !keepRestored { RestoreFolder.empty(folder) }
        // The file signed: the manifest, or the digest file that stood for it (`sha256sum x.tar > x.tar.sha256`).
        let signedFile = manifestPath ?? report.request.archiveDigest?.source
        let signed = checkSignature(manifestPath: signedFile, keys: keys)
        if let finding = signed?.finding(manifest: signedFile ?? "the manifest") {
            report.result.findings.insert(finding, at: 0)
            report.result.verdict = .fail
        }
        var renderer = CheckReportRenderer(report: report, manifestPath: manifestPath)
        renderer.signature = signed
        if let copy {
            renderer.archive = archive
            renderer.input = (copy.byteCount, copy.digest)
        } else if let stream = restoring.archiveStream {
            renderer.input = (stream.byteCount, report.streamDigest)
        }
        if let index { renderer.seekIndex = CheckIndexOption.finish(index, report, loadNote: indexNote) }
        emit(renderer, errorMessage: nil)
        throw ExitCode(ExitStatus.forVerdict(report.result.verdict))
    }

    /// The check could not start (a bad manifest, key file, restore folder or stream): an error
    /// report, and exit status 2.
    private func refuse(_ error: any Error, seed: UInt64) throws -> Never {
        let message = "\(error)"
        emit(CheckReportRenderer.errorReport(archive: archive, message: message, seed: seed), errorMessage: message)
        throw ExitCode(ExitStatus.error)
    }

    /// The options that tune the read: reserve, inflater, threads, raw, and the progress line
    /// on a terminal (returned, to be cleared at the end).
    private func configure(_ request: inout VerificationRequest) -> TerminalProgress? {
        request.restoreReserve = RestoreReserve(bytes: restoreReserve)
        if let inflater, let backend = GzipBackend(rawValue: inflater) { request.gzipBackend = backend }
        request.threads = threads
        if raw { request.formatPolicy = .raw }
        let total = request.archiveStream == nil ? TerminalProgress.fileSize(request.archivePath) : 0
        // No line for --json, --no-progress, or when stderr is not a terminal.
        guard !json, !noProgress, let line = TerminalProgress(totalBytes: total) else { return nil }
        request.progressInterval = .milliseconds(250)
        request.onProgress = { entries, bytes in line.update(entries: entries, bytesRead: bytes) }
        line.update(entries: 0, bytesRead: 0)
        return line
    }

    /// With a stream: opens it for the one pass (`request.archiveStream`), or, with --spool,
    /// copies it into a file that the request then names (returned, to be removed).
    private func openStream(into request: inout VerificationRequest) throws -> StreamSpool? {
        guard isStream else { return nil }
        if let spool {
            let copy = try StreamSpool.spool(archive, into: spool, stallTimeout: stallTimeout)
            request.archivePath = copy.path
            return copy
        }
        request.archiveStream = try ByteStream(archive, stallTimeout: stallTimeout)
        return nil
    }

    /// libarchive's own `exit(1)` (out of memory in its string code, at the memory limit) ends
    /// the run with an error report and exit 2, not a silent exit 1 that would read "fail".
    private func armFatalExit(seed: UInt64) {
        let (archive, json) = (self.archive, self.json)
        let limit = (try? memoryLimitBytes()) ?? MemoryLimit.defaultBytes
        FatalExitGuard.arm(limit: limit) { atLimit in
            let message = atLimit
                ? "out of memory: libarchive could not allocate and ended the process at the memory limit (--memory-limit \(limit >> 20) MiB): the archive needs more memory than that, or its parser loops allocating"
                : "libarchive ended the process with a fatal internal error (its message is above)"
            Self.emit(CheckReportRenderer.errorReport(archive: archive, message: message, seed: seed), errorMessage: message, json: json)
            return ExitStatus.error
        }
    }

    private func emit(_ renderer: CheckReportRenderer, errorMessage: String?) {
        Self.emit(renderer, errorMessage: errorMessage, json: json)
    }

    private static func emit(_ renderer: CheckReportRenderer, errorMessage: String?, json: Bool) {
        var out = BufferedOutput(fd: 1)
        if json {
            renderer.json(to: &out)
            out.write("\n")
        } else {
            if let errorMessage { Output.err("verifyctl: \(errorMessage.printable)\n") }
            renderer.text(to: &out)
        }
        out.flush()
    }

    /// The request, and the manifest file it uses (given, or found beside the archive).
    private func makeRequest(seed: UInt64, stream: Bool) throws -> (VerificationRequest, manifestPath: String?) {
        if isBaseBackup { return (try baseBackupRequest(seed: seed), archive + "/" + BaseBackupVerification.manifestName) }
        let manifestFormat = ManifestFormat(rawValue: format)
        var loaded: Manifest?
        var manifestPath = manifest
        var digest: (Digest, String)?
        if let manifest, stream {
            // A stream has no file name: --manifest lists entries (or the content of one stream).
            loaded = try ManifestLoading.manifest(at: manifest, format: manifestFormat)
        } else if let manifest {
            switch try SidecarFile.read(manifest, archive: archive, format: manifestFormat) {
            case .manifest(let parsed): loaded = parsed
            case .archiveDigest(let found): digest = (found, manifest); manifestPath = nil
            }
        }
        if let archiveDigest {
            digest = (try ManifestLoading.archiveDigest(sidecar: archiveDigest, archive: archive), archiveDigest)
        } else if !stream, !noArchiveDigest, digest == nil, let sidecar = SidecarFile.beside(archive, except: manifest) {
            // One convention with the daemon: ARCHIVE.sha256 is the archive's digest when it names
            // the archive, and its manifest when it lists entries.
            switch try SidecarFile.read(sidecar, archive: archive, format: manifest == nil ? manifestFormat : nil, what: "archive digest file") {
            case .archiveDigest(let found): digest = (found, sidecar)
            case .manifest(let parsed) where loaded == nil: loaded = parsed; manifestPath = sidecar
            case .manifest: break
            }
        }
        var policy = SamplePolicy.all
        if let sample { policy = .count(sample) }
        if let samplePercent { policy = .percent(samplePercent) }
        if loaded == nil, policy != .all { throw ValidationError("--sample and --sample-percent need a manifest (--manifest, or ARCHIVE.sha256 listing entries)") }
        var request = VerificationRequest(
            archivePath: archive, manifest: loaded, sample: policy, seed: seed,
            checkOptions: .init(stripComponents: stripComponents, strict: strict),
            archiveDigest: digest.map { (digest: $0.0, source: $0.1) }, stallTimeout: stallTimeout)
        request.decryptionKeys = try DecryptionKeys.load(
            ageIdentity: ageIdentity, agePassphrase: agePassphrase, gpgHome: gpgHome,
            names: ("--age-identity", "--age-passphrase", "--gpg-home"))
        return (request, manifestPath)
    }

    /// A base backup folder's request: its own manifest, read by the run.
    private func baseBackupRequest(seed: UInt64) throws -> VerificationRequest {
        if manifest != nil || archiveDigest != nil { throw ValidationError("a pg_basebackup folder is checked against its own backup_manifest: --manifest and --archive-digest do not apply") }
        if restoreTo != nil { throw ValidationError("--restore-to takes one archive, not a pg_basebackup folder") }
        var policy = SamplePolicy.all
        if let sample { policy = .count(sample) }
        if let samplePercent { policy = .percent(samplePercent) }
        return VerificationRequest(
            archivePath: archive, manifest: nil, sample: policy, seed: seed,
            checkOptions: .init(stripComponents: stripComponents, strict: true), stallTimeout: stallTimeout)
    }

    /// With --trusted-key: the manifest's signature checked against those keys. Nil without.
    private func checkSignature(manifestPath: String?, keys: [TrustedKey]) -> SignatureOutcome? {
        guard !keys.isEmpty else { return nil }
        guard let manifestPath else { return .invalid("--trusted-key: there is no manifest or digest file to check the signature of") }
        return ManifestSignatureCheck.check(manifest: manifestPath, signature: signature, keys: keys, policy: .required)
    }
}
