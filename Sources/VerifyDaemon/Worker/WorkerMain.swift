import ArchiveReading
import CDaemonSupport
import Foundation
import VerifyCore
import VerifyProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The worker process: reads a `WorkerRequest` on stdin, verifies one archive with the engine,
/// writes progress lines and one result line on stdout, and exits. Runs under an address-space
/// limit and dies with its parent, so a libarchive crash, hang or blow-up costs one run only;
/// sealed by `WorkerSandbox`, so an exploited parser can neither write outside its restore
/// folder nor reach the control socket. `verifyd`'s main starts it before Swift's concurrency
/// runtime starts any thread: the sandbox covers only threads started after it.
public enum WorkerMain {
    /// Largest manifest taken out of an archive.
    static let manifestEntryLimit = 256 << 20

    public static func run() -> Int32 {
        _ = verifyd_set_parent_death_signal(SIGKILL)
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let request = try? JSONDecoder().decode(WorkerRequest.self, from: input) else {
            FileHandle.standardError.write(Data("verifyd worker: stdin is not a worker request\n".utf8))
            return 2
        }
        // Sealed before anything of the destination is opened (docs/security.md). The restore
        // folder must exist then: its Landlock rule names it.
        if let folder = request.restoreDirectory { mkdir(folder, 0o700) }
        // gpg talks to its agent over a socket and writes in its homedir: started before the
        // seal, once for the run and, with a manifest inside the archive, once for that first pass.
        let gpg = startGpg(request)
        let manifestGpg = request.manifestEntry == nil || gpg == nil ? nil : startGpg(request)
        let sandbox: WorkerSandbox
        do {
            sandbox = try WorkerSandbox.apply(writable: request.restoreDirectory)
        } catch {
            emit(WorkerMessage(result: failed(error.description)))
            return 0
        }
        if let probe = request.probe {
            emit(WorkerMessage(probe: probe.run(sandbox: sandbox)))
            return 0
        }
        MemoryLimit.apply(request.memoryLimit)
        // Backups on the same host come first: lower CPU and disk priority.
        // On Linux both are per thread: set every thread there is (threads made later inherit).
        let threads = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { id_t($0) }
        for thread in threads {
            if let nice = request.nice { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, Int32(nice)) }
            if let ioClass = request.ioClass { _ = verifyd_set_thread_io_priority(Int32(thread), ioClass.kernelClass, 7) }
        }
        let heartbeat = WorkerHeartbeat()
        heartbeat.start { emit(WorkerMessage(progress: $0)) }
        // libarchive's own exit(1) (out of memory in its string code, at the memory limit) is a
        // result that says so, not a worker that "exited with status 1 without a result".
        let limit = request.memoryLimit
        FatalExitGuard.arm(limit: limit) { atLimit in
            emit(WorkerMessage(result: failed(atLimit
                ? "out of memory: libarchive could not allocate and ended the worker at worker_memory_limit (\(limit >> 20) MiB): the archive needs more memory than that, or its parser loops allocating"
                : "libarchive ended the worker with a fatal internal error")))
            return 0
        }
        let result = verify(request, gpg: gpg, manifestGpg: manifestGpg, progress: heartbeat.progress)
        FatalExitGuard.disarm()
        heartbeat.stop()
        emit(WorkerMessage(result: result))
        return 0
    }

    /// gpg started on an OpenPGP-encrypted archive when the destination names a keyring (or why
    /// it could not be); nil otherwise. Only the archive's first bytes are read before the seal.
    static func startGpg(_ request: WorkerRequest) -> Result<GpgDecryption, DecryptionError>? {
        guard let home = request.keys?.gpgHome, request.keys?.problem == nil,
              EnvelopeKind.of(file: request.archivePath)?.isOpenPGP == true else { return nil }
        do {
            return .success(try GpgDecryption.start(archive: request.archivePath, gpgHome: home))
        } catch {
            return .failure(error)
        }
    }

    static func verify(
        _ request: WorkerRequest, gpg: Result<GpgDecryption, DecryptionError>? = nil,
        manifestGpg: Result<GpgDecryption, DecryptionError>? = nil, progress: ReadProgress = ReadProgress()
    ) -> WorkerResult {
        let references: References
        do {
            references = try readReferences(request, manifestGpg: manifestGpg, progress: progress)
        } catch {
            return failed("\(error)")
        }
        var verification = verificationRequest(request, manifest: references.manifest, archiveDigest: references.archiveDigest)
        verification.decryptionKeys?.use(gpg)
        verification.progress = progress
        var report: VerificationReport
        if references.manifest?.format == .pgBackupManifest, BaseBackupVerification.isBaseTar(request.archivePath, manifest: request.manifestPath) {
            // A base backup's base.tar stands for its folder: every tar of it in one run.
            verification.archivePath = (request.archivePath as NSString).deletingLastPathComponent
            report = BaseBackupVerification.run(verification)
            report.request.archivePath = request.archivePath
        } else {
            report = ArchiveVerification.run(verification)
        }
        let signature = request.manifestPath == nil ? checkSignature(request, text: nil) : references.signature
        if let finding = signature?.finding(manifest: request.manifestPath ?? "the manifest") {
            report.result.findings.insert(finding, at: 0)
            report.result.verdict = .fail
        }
        var result = workerResult(report)
        result.signature = signature.flatMap(\.summary)
        result.seekIndexNote = report.seekIndexUse?.summary ?? report.seekIndexNotBuilt.map { "no seek index recorded: \($0)" }
        if let built = report.builtSeekIndex {
            let bytes = built.encoded()
            if bytes.count <= SeekIndexShelf.indexLimit { result.seekIndex = Data(bytes).base64EncodedString() }
        }
        return result
    }

    /// What is read before the archive: the manifest, the archive's expected digest, and the
    /// manifest's signature, checked on the very bytes that are parsed.
    private struct References {
        var manifest: Manifest?
        var archiveDigest: (digest: Digest, source: String)?
        var signature: SignatureOutcome?
    }

    /// The manifest (beside the archive or inside it), its signature and the archive's expected
    /// digest, read before the archive.
    private static func readReferences(
        _ request: WorkerRequest, manifestGpg: Result<GpgDecryption, DecryptionError>?, progress: ReadProgress
    ) throws -> References {
        var references = References()
        if let path = request.manifestPath {
            // One convention with `verifyctl check`: a file whose only line names the archive
            // itself is the archive's digest, not a manifest of its entries.
            progress.stage = .manifest
            // Read once: the signature is checked on the very bytes that are parsed.
            let text = try ManifestLoading.readFile(path, what: "manifest", onRead: progress.tick)
            references.signature = checkSignature(request, text: text)
            switch try SidecarFile.read(text: text, path: path, archive: request.archivePath, format: request.manifestFormat, onRead: progress.tick) {
            case .manifest(let parsed): references.manifest = parsed
            case .archiveDigest(let digest): references.archiveDigest = (digest, path)
            }
        } else if let entry = request.manifestEntry {
            progress.stage = .manifestInArchive
            var keys = request.keys?.decryptionKeys()
            keys?.use(manifestGpg)
            references.manifest = try manifestInside(
                request.archivePath, entry: entry, format: request.manifestFormat, keys: keys, progress: progress)
        }
        if let path = request.archiveDigestPath {
            progress.stage = .archiveDigest
            references.archiveDigest = (try ManifestLoading.archiveDigest(sidecar: path, archive: request.archivePath), path)
        }
        return references
    }

    /// The engine's request for the worker's: the sample (grown to the coverage window), the
    /// coverage, restore, decoder, budget and checkpoints (sent as `CheckedEntryLine`s).
    private static func verificationRequest(
        _ request: WorkerRequest, manifest: Manifest?, archiveDigest: (digest: Digest, source: String)?
    ) -> VerificationRequest {
        var policy = request.sample
        if let runs = request.coverageRunsInWindow, let manifest {
            policy = policy.grown(toCover: manifest.entries.count, runsInWindow: runs)
        }
        var verification = VerificationRequest(
            archivePath: request.archivePath, manifest: manifest, sample: policy, seed: UInt64(request.seed) ?? 0,
            checkOptions: .init(stripComponents: request.stripComponents, strict: request.strict),
            archiveDigest: archiveDigest, stallTimeout: request.stallTimeout)
        verification.coverage = request.coverage.map { items in
            Dictionary(items.map { ($0.path, CoverageRecord(verifiedAt: $0.verifiedAt, failed: $0.failed)) }, uniquingKeysWith: { $1 })
        }
        verification.coverageCycleStart = request.coverageCycleStart
        verification.restoreTo = request.restoreDirectory
        if let backend = request.inflater { verification.gzipBackend = backend }
        if let threads = request.threads { verification.threads = threads }
        verification.restoreLimit = request.restoreLimit
        verification.restoreReserve = RestoreReserve(bytes: request.restoreReserve)
        verification.maxSeconds = request.maxSeconds
        verification.maxBytes = request.maxBytes
        verification.formatPolicy = request.formatPolicy ?? .auto
        useSeekIndex(request, &verification)
        verification.decryptionKeys = request.keys?.decryptionKeys()
        verification.onCheckpoint = { results in
            for start in stride(from: 0, to: results.count, by: 2000) {
                emit(line: CheckedEntryLine.encode(results[start..<min(start + 2000, results.count)].lazy.map {
                    CheckedEntry(
                        path: $0.path.description, failed: $0.failed,
                        digest: $0.digest.map { "\($0.algorithm.rawValue):\($0.hex)" }, size: $0.size)
                }))
            }
        }
        return verification
    }

    /// The kept seek index, when it still describes the archive; otherwise (and when asked) a
    /// new one is recorded on a complete read. A damaged kept index is replaced, never trusted.
    private static func useSeekIndex(_ request: WorkerRequest, _ verification: inout VerificationRequest) {
        let kept = request.seekIndexPath.flatMap { try? SeekIndexFile.load($0) }
        let current = kept.map { SeekIndexFile.describes($0, archive: request.archivePath) } ?? false
        if current { verification.seekIndex = kept }
        verification.recordsSeekIndex = request.recordsSeekIndex == true && !current
    }

    /// What the worker reports of the engine's report.
    private static func workerResult(_ report: VerificationReport) -> WorkerResult {
        let findings = report.result.findings
        let actual = report.archiveDigestActual
        return WorkerResult(
            verdict: report.result.verdict, entriesSeen: report.result.entriesSeen,
            entriesSelected: report.result.selected, entriesChecked: report.result.checked,
            bytesRead: report.bytesRead, durationSeconds: report.durationSeconds,
            archiveDigest: actual.map { "\($0.algorithm.rawValue):\($0.hex)" }, error: report.result.error,
            failures: findings.prefix(WorkerResult.failureLimit).map {
                WorkerFailure(path: $0.path?.description, kind: $0.kind.rawValue, expected: $0.expected, actual: $0.actual)
            },
            // The manifest as the run used it: nil when its only line was the file's own digest.
            failureCount: findings.count, manifestEntries: report.request.manifest?.entries.count,
            manifestBytes: report.request.manifest.flatMap { m in m.entries.totalSize },
            budgetReached: [report.budgetReached, report.restored.map { "restored \($0.entries) entries (\($0.bytes) bytes) and checked them from disk" }]
                .compactMap { $0 }.joined(separator: "; ").nilIfEmpty)
    }

    /// The manifest's signature under the destination's `manifest_signature`; nil when off, or
    /// when `if-present` finds none. A manifest inside the archive has no file to sign beside it.
    static func checkSignature(_ request: WorkerRequest, text: [UInt8]?) -> SignatureOutcome? {
        guard let policy = request.manifestSignature, policy != .off else { return nil }
        guard let manifest = request.manifestPath else {
            return policy == .required ? .invalid("manifest_signature is \"required\" but the manifest is not a file beside the archive") : nil
        }
        let keys: [TrustedKey]
        do {
            keys = try (request.trustedKeys ?? []).map(ManifestSignatureCheck.loadTrustedKey)
        } catch {
            return .invalid("\(error)")
        }
        return ManifestSignatureCheck.check(manifest: manifest, text: text, signature: nil, keys: keys, policy: policy)
    }

    /// Takes the manifest out of the archive on a first pass.
    /// An encrypted archive is decrypted for this pass too.
    static func manifestInside(_ archive: String, entry: String, format: ManifestFormat?, keys: DecryptionKeys?, progress: ReadProgress) throws -> Manifest {
        var options = ArchiveReader.Options()
        options.stream = try ArchiveVerification.decryptedStream(archivePath: archive, keys: keys)
        let reader = try ArchiveReader(path: archive, options: options, progress: progress)
        let wanted = EntryPath(entry)
        reader.captureEntry = (wanted, manifestEntryLimit)
        let outcome = reader.read(into: CaptureVisitor(wanted: wanted))
        if reader.capturedOverflow {
            throw ManifestLoadError(description: "\(archive): manifest entry \(entry) is larger than 256 MiB")
        }
        guard let bytes = reader.captured else {
            let why = outcome.damage.map { " (the archive is damaged: \($0))" } ?? ""
            throw ManifestLoadError(description: "\(archive): no manifest entry \(entry) in the archive\(why)")
        }
        do {
            return try Manifest.parse(bytes, format: format, file: "\(archive):\(entry)", onProgress: progress.tick)
        } catch {
            throw ManifestLoadError(description: "malformed manifest: \(error.description)")
        }
    }

    static func failed(_ message: String) -> WorkerResult {
        WorkerResult(
            verdict: .error, entriesSeen: 0, entriesSelected: 0, entriesChecked: 0, bytesRead: 0,
            durationSeconds: 0, archiveDigest: nil, error: message, failures: [], failureCount: 0)
    }

    private static let output = FileHandle.standardOutput
    /// Progress (watching thread) and checkpoints (reading thread) write whole lines, one at a time.
    private static let outputLock = NSLock()

    static func emit(_ message: WorkerMessage) {
        emit(line: WireProtocol.line(message))
    }

    static func emit(line: [UInt8]) {
        outputLock.withLock { output.write(Data(line)) }
    }
}

/// Reads the one entry that holds the manifest, skips the rest.
private final class CaptureVisitor: EntryVisitor {
    let wanted: EntryPath
    init(wanted: EntryPath) { self.wanted = wanted }
    func beginEntry(_ header: EntryHeader) -> ContentRequest {
        EntryPath(normalizing: header.rawPath) == wanted ? .read([]) : .skip
    }
    func endEntry(_ content: EntryContent?) {}
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
