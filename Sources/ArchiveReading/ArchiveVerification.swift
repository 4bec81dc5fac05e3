import Dispatch
import Foundation
import Synchronization
import VerifyCore

/// One verification of one archive: what to check it against and how.
public struct VerificationRequest: Sendable {
    public var archivePath: String
    public var manifest: Manifest?
    public var sample: SamplePolicy
    public var seed: UInt64
    public var checkOptions: ArchiveCheck.Options
    /// The expected digest of the whole archive file (from a sidecar), and where it came from.
    public var archiveDigest: (digest: Digest, source: String)?
    /// A parser that makes no progress for this long (time spent waiting on the disk excluded)
    /// is declared stalled.
    public var stallTimeout: Double
    /// What history knows of each manifest entry (keyed by `EntryPath.description`): with it,
    /// the sample is chosen least recently verified first (`CoverageSampling`).
    public var coverage: [String: CoverageRecord]?
    /// With `coverage`: entries verified good since this time are done for the current
    /// coverage cycle and are not read again (a run cut short is continued, not repeated).
    public var coverageCycleStart: Double?
    /// A run stops cleanly before the next entry once it has run this long or read this many
    /// bytes of the archive; the entries not reached are "not verified", not missing.
    public var maxSeconds: Double?
    public var maxBytes: Int64?
    /// Called on the reading thread every `checkpointInterval` seconds with the entries whose
    /// results became known since the last call, so that a run cut short keeps them.
    public var onCheckpoint: (@Sendable ([EntryVerification]) -> Void)?
    /// Half a second: the daemon writes each checkpoint's coverage while the run goes on, so
    /// little is left to write when it ends (with 2 s, a short run's every entry came at its end).
    public var checkpointInterval: Double = 0.5
    /// Restore mode: the entries read are also extracted into this (empty) folder with
    /// libarchive's disk writer, then read back from disk and checked against the manifest.
    /// The process works in that folder while the run lasts.
    public var restoreTo: String?
    /// Most bytes a restore may write; nil: the sizes the manifest declares for the sample plus
    /// 10% and 64 MiB, or 50 times the archive's size when it declares none.
    public var restoreLimit: Int64?
    /// Restore mode: the space left free on the restore folder's file system.
    public var restoreReserve = RestoreReserve()
    /// The gzip decoder (ISA-L unless `$VERIFYD_INFLATER=zlib` or set here).
    public var gzipBackend: GzipBackend = .preferred
    /// Threads the run uses: 2 (the default) hashes on a second core while the first reads and
    /// inflates; 1 leaves the second core to others.
    public var threads: Int = 2
    /// A sample of a plain zip may take its entries from the central directory instead of
    /// libarchive's walk over every local header (`ZipDirectoryWalk`); false always walks.
    public var zipEntriesFromDirectory = true
    /// Shared with the reader: its ticks and stage, for a watchdog outside the run (the daemon's
    /// over a worker process). Nil: the run makes its own.
    public var progress: ReadProgress?
    /// `raw` reads the file as one stream whatever it holds (`ArchiveFormatPolicy`).
    public var formatPolicy: ArchiveFormatPolicy = .auto
    /// Called about twice a second from the watching thread with entries started and bytes read.
    public var onProgress: (@Sendable (_ entries: Int, _ bytesRead: Int64) -> Void)?
    /// How often `onProgress` is called (the watching thread looks every 50 ms).
    public var progressInterval: Duration = .milliseconds(500)
    /// A seek index to read a sample through, when it matches the archive (`SeekIndex`).
    public var seekIndex: SeekIndex?
    /// With a matching seek index that has intervals (gzip checkpoints): choose the sample as
    /// whole intervals (`ClusterSampling`), so that its read costs about its share of the file;
    /// false chooses entry by entry, as without an index.
    public var samplesWholeIntervals = true
    /// Record a seek index on a sequential read (`VerificationReport.builtSeekIndex`).
    public var recordsSeekIndex = false
    /// Bytes of a gzip file between two checkpoints of the index recorded; nil: chosen so that
    /// the index stays under 1% of the archive (`GzipCheckpointInflater`).
    public var gzipCheckpointSpacing: Int64?
    /// The share of a gzip file past which a sample is read sequentially rather than through
    /// its index (`ArchiveReader.gzipSpanLimit`); 1: always through the index.
    public var gzipSpanLimit = ArchiveReader.defaultGzipSpanLimit
    /// The archive comes as this stream (`archivePath` only names it): read in one pass, its
    /// SHA-256 always taken (`VerificationReport.streamDigest`).
    public var archiveStream: ByteStream?
    /// Keys for an encrypted archive (age, OpenPGP); the envelope is recognised by content.
    public var decryptionKeys: DecryptionKeys?

    public init(
        archivePath: String, manifest: Manifest?, sample: SamplePolicy = .all, seed: UInt64,
        checkOptions: ArchiveCheck.Options = .init(), archiveDigest: (digest: Digest, source: String)? = nil,
        stallTimeout: Double = 10
    ) {
        self.archivePath = archivePath
        self.manifest = manifest
        self.sample = sample
        self.seed = seed
        self.checkOptions = checkOptions
        self.archiveDigest = archiveDigest
        self.stallTimeout = stallTimeout
    }
}

/// The outcome of a verification: the check's result and what the reader saw.
public struct VerificationReport: Sendable {
    public var request: VerificationRequest
    public var result: CheckResult
    public var format: String?
    public var filters: [String]
    public var fileSize: Int64
    public var bytesRead: Int64
    public var durationSeconds: Double
    /// The whole-file digest computed, when a sidecar asked for one and the file was read to its end.
    public var archiveDigestActual: Digest?
    /// The parser stalled; its thread could not be stopped, so the process should exit soon.
    public var stalled: Bool
    public var warnings: [String]
    /// Zip members read by verifyd's own reader (ISA-L) rather than libarchive.
    public var membersReadDirectly = 0
    /// The entries came from a zip's central directory, not from libarchive's header walk.
    public var entriesFromZipDirectory = false
    /// The sample flags, one per manifest entry; nil when every entry was selected.
    public var sample: [Bool]?
    /// The run stopped at its budget (why), before the end of the archive.
    public var budgetReached: String?
    /// Restore mode: entries and bytes written to the restore folder.
    public var restored: (entries: Int, bytes: Int64)?
    /// The file was read as one stream (format `raw`): what was checked, and the dump it holds.
    public var singleStream: SingleStreamReport?
    /// What was done with the request's seek index; a mismatch was followed by a sequential read.
    public var seekIndexUse: SeekIndexUse?
    /// How the sample was chosen when a seek index could serve it: as whole intervals between
    /// the index's entry points (`ClusterSampling`), or entry by entry and why.
    public var samplePlan: String?
    /// The index recorded on this run's sequential read, or why none was.
    public var builtSeekIndex: SeekIndex?
    public var seekIndexNotBuilt: String?
    /// An archive that came as a stream: its SHA-256, when it was read to its end and good.
    public var streamDigest: Digest?

    /// The report of a run that could not start: the `error` verdict with why.
    public static func notStarted(_ request: VerificationRequest, error: String) -> VerificationReport {
        VerificationReport(
            request: request, result: CheckResult(verdict: .error, error: error), format: nil, filters: [],
            fileSize: 0, bytesRead: 0, durationSeconds: 0, archiveDigestActual: nil, stalled: false, warnings: [])
    }
}

/// A file read as one stream: what its compression layer proved, and the dump it holds.
public struct SingleStreamReport: Sendable, Equatable {
    /// One line per filter: what decoding it to its end checked.
    public var checks: [String]
    /// The producer of the dump, when its first lines name one.
    public var dump: DumpProducer?
    /// Whether that dump ends as its producer ends it (nil: not looked at, the stream was bad).
    public var dumpComplete: Bool?
    /// Bytes of content (decompressed).
    public var contentBytes: Int64
}

/// Runs the engine: reader, check and stall watchdog.
public enum ArchiveVerification {
    /// Verifies one archive. Never throws: an unreadable archive is an `error` verdict.
    ///
    /// The reader runs on a thread of its own while this thread watches its progress. libarchive
    /// 3.6 loops forever on some damaged archives; such a run ends as a failure ("parser
    /// stalled") and its thread is left spinning: a process that saw `stalled` must exit.
    /// A manifest whose only line names the archive file itself is its digest: `SidecarFile`
    /// decides that when the file is read, for `verifyctl check` and the worker alike.
    public static func run(_ request: VerificationRequest) -> VerificationReport {
        let stopwatch = Stopwatch()
        switch EncryptedEnvelope.open(request) {
        case .plain:
            return runPlain(request, stopwatch: stopwatch)
        case .refused(let kind, let result):
            var report = VerificationReport.notStarted(request, error: "").ended(result, after: stopwatch)
            report.filters = [kind.filterName]
            return report
        case .opened(let envelope):
            var inner = request
            inner.archiveStream = envelope.stream
            // The reader sees the plaintext: a digest of the encrypted file is not its to check.
            inner.archiveDigest = nil
            var report = runPlain(inner, stopwatch: stopwatch)
            report.request = request
            report.streamDigest = nil
            if let digest = request.archiveDigest {
                report.warnings.append("the archive digest from \(digest.source) was not checked: the file is encrypted and its plaintext was read")
            }
            envelope.finish(&report)
            return report
        }
    }

    /// The plaintext of an encrypted archive as a stream for a reader of its own (the worker's
    /// first pass for a manifest inside the archive); nil for an archive that is not encrypted.
    /// Throws why it cannot be opened (a key problem, damage in its header).
    public static func decryptedStream(archivePath: String, keys: DecryptionKeys?) throws(DecryptionError) -> ByteStream? {
        var request = VerificationRequest(archivePath: archivePath, manifest: nil, seed: 0)
        request.decryptionKeys = keys
        switch EncryptedEnvelope.open(request) {
        case .plain: return nil
        case .opened(let envelope):
            return envelope.stream
        case .refused(_, let result):
            throw DecryptionError(.key, result.error ?? result.findings.first?.actual ?? "the encrypted archive cannot be opened")
        }
    }

    private static func runPlain(_ request: VerificationRequest, stopwatch: Stopwatch) -> VerificationReport {
        var report = VerificationReport.notStarted(request, error: "")
        let progress = request.progress ?? ReadProgress()
        progress.resetCounts()
        progress.stage = .opening
        let reader: ArchiveReader
        var options = ArchiveReader.Options(wholeFileAlgorithms: wholeFileAlgorithms(request), gzipBackend: request.gzipBackend, threads: request.threads)
        options.stream = request.archiveStream
        do {
            reader = try ArchiveReader(path: request.archivePath, options: options, progress: progress)
        } catch {
            return report.ended(CheckResult(verdict: .error, error: error.description), after: stopwatch)
        }
        if let stream = request.archiveStream, request.formatPolicy == .auto, let format = SeekingFormat.recognise(stream.head(8)) {
            report.format = format.rawValue
            return report.ended(CheckResult(verdict: .error, error: "\(stream.name): \(format.streamError)"), after: stopwatch)
        }
        progress.stage = .sampling
        let (sample, plan) = chooseSample(request, reader: reader)
        report.sample = sample
        report.samplePlan = plan
        prepare(reader, for: request, sample: sample)
        var restoreWriter: RestoreWriter?
        if let folder = request.restoreTo {
            do {
                let writer = try RestoreWriter(
                    root: folder, limit: request.restoreLimit ?? defaultRestoreLimit(request, sample: sample, fileSize: reader.fileSize),
                    reserve: request.restoreReserve)
                reader.restore = writer
                restoreWriter = writer
            } catch {
                return report.ended(CheckResult(verdict: .error, error: error.description), after: stopwatch)
            }
        }
        let check = ArchiveCheck(manifest: request.manifest, sample: sample, options: request.checkOptions)
        let job = ReaderJob(reader: reader, check: check, onCheckpoint: request.onCheckpoint) {
            // After an index mismatch: the same read again, sequentially, with a fresh check.
            guard let again = try? ArchiveReader(path: request.archivePath, options: reader.options, progress: progress) else { return nil }
            again.formatPolicy = reader.formatPolicy
            again.streamName = reader.streamName
            again.zipEntriesFromDirectory = reader.zipEntriesFromDirectory
            again.recordsSeekIndex = request.recordsSeekIndex
            again.gzipCheckpointSpacing = request.gzipCheckpointSpacing
            return (again, ArchiveCheck(manifest: request.manifest, sample: sample, options: request.checkOptions))
        }
        progress.stage = .reading
        if let stopped = watch(job, request: request, report: &report, stopwatch: stopwatch) { return stopped }

        let (outcome, result) = job.take()
        report.seekIndexUse = job.indexUse ?? outcome.seekIndexUse
        report.builtSeekIndex = outcome.builtSeekIndex
        report.seekIndexNotBuilt = outcome.seekIndexNotBuilt
        report.take(outcome, result: result, request: request)
        if let restoreWriter, let folder = request.restoreTo {
            report.result = checkRestore(report.result, writer: restoreWriter, folder: folder, request: request, sample: sample, stopped: outcome.stoppedEarly)
            report.restored = (restoreWriter.entriesWritten, restoreWriter.bytesWritten)
        }
        report.durationSeconds = stopwatch.seconds()
        return report
    }

    /// The run's sample (nil: every entry) and, when a seek index was looked at for it, what
    /// became of the whole-interval sample: its summary, or why the entry-by-entry one is used.
    private static func chooseSample(_ request: VerificationRequest, reader: ArchiveReader) -> (sample: [Bool]?, plan: String?) {
        switch chooseClusterSample(request, reader: reader) {
        case .chosen(let plan)?: (plan.flags.allSatisfy { $0 } ? nil : plan.flags, plan.summary)
        case .declined(let why)?: (chooseSample(request, fileSize: reader.fileSize), why)
        case nil: (chooseSample(request, fileSize: reader.fileSize), nil)
        }
    }

    /// Which entries of the manifest the run reads: nil for all of them. Entries without a
    /// recorded size are estimated at the archive's average.
    static func chooseSample(_ request: VerificationRequest, fileSize: Int64) -> [Bool]? {
        guard let manifest = request.manifest else { return nil }
        let estimate = max(fileSize / Int64(max(manifest.entries.count, 1)), 1)
        let sizes = { manifest.entries.indices.map { manifest.entries.size(at: $0) ?? estimate } }
        if let coverage = request.coverage {
            let flags = CoverageSampling.choose(
                manifest.entries, sizes: sizes(), coverage: coverage,
                policy: request.sample, seed: request.seed, cycleStart: request.coverageCycleStart)
            return flags.allSatisfy { $0 } ? nil : flags
        }
        switch request.sample {
        case .all: return nil
        case .bytes(let budget):
            return SampleSelection.choose(manifest.entries, sizes: sizes(), budget: budget, seed: request.seed)
        default:
            return SampleSelection.choose(manifest.entries, policy: request.sample, seed: request.seed)
        }
    }

    /// A sample of whole intervals between the entry points of the request's seek index, so
    /// that a read through it costs about the sample's share of the file; nil when the index
    /// cannot serve this run (none, another file, a read of every entry or every byte).
    static func chooseClusterSample(_ request: VerificationRequest, reader: ArchiveReader) -> SeekIndex.ClusterChoice? {
        guard request.samplesWholeIntervals, let index = request.seekIndex, let manifest = request.manifest, request.sample != .all,
              request.restoreTo == nil, request.formatPolicy == .auto, reader.seekIndexRefusal(index) == nil else { return nil }
        let estimate = max(reader.fileSize / Int64(max(manifest.entries.count, 1)), 1)
        let sizes = manifest.entries.indices.map { manifest.entries.size(at: $0) ?? estimate }
        let coverage = request.coverage.map { coverage in manifest.entries.indices.map { coverage[manifest.entries.path(at: $0).description] } }
        return index.clusterSample(
            of: manifest.entries, stripComponents: request.checkOptions.stripComponents, sizes: sizes, coverage: coverage,
            cycleStart: request.coverageCycleStart, policy: request.sample, seed: request.seed)
    }

    /// How the reader reads this request: the format policy, the name of a single stream's
    /// content, and whether zip entries may come from the central directory alone.
    private static func prepare(_ reader: ArchiveReader, for request: VerificationRequest, sample: [Bool]?) {
        reader.formatPolicy = request.formatPolicy
        reader.streamName = SingleStream.contentName(
            archivePath: request.archivePath, manifestPaths: request.manifest.map { $0.entries.count == 1 ? [$0.entries.path(at: 0)] : [] } ?? [])
        // A sample against names, sizes and digests alone needs no zip header but the directory
        // (a "sample" of every entry is a full verify: every header is read).
        reader.zipEntriesFromDirectory = request.zipEntriesFromDirectory && sample?.contains(false) == true
            && request.restoreTo == nil && request.manifest?.entries.recordsMetadata == false
        reader.recordsSeekIndex = request.recordsSeekIndex
        reader.gzipCheckpointSpacing = request.gzipCheckpointSpacing
        reader.gzipSpanLimit = request.gzipSpanLimit
        // A run that reads every entry gains nothing from an index.
        if sample?.contains(false) == true { reader.seekIndex = request.seekIndex }
    }

    /// Runs the job on a thread of its own and watches it until it ends: checkpoints, the run's
    /// budget, progress reports and the stall watchdog (progress ticks whenever the parser
    /// returns something or asks for input). Returns the report of a run that could not end
    /// (the thread never started, or the parser stalled), nil once the job is done.
    private static func watch(_ job: ReaderJob, request: VerificationRequest, report: inout VerificationReport, stopwatch: Stopwatch) -> VerificationReport? {
        let reader = job.reader
        let done = start(job)
        let clock = ContinuousClock()
        var lastTicks = reader.progress.tickCount
        var lastChange = clock.now
        var lastReport = clock.now
        var lastCheckpoint = clock.now
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if request.onCheckpoint != nil, clock.now - lastCheckpoint >= .milliseconds(Int64(request.checkpointInterval * 1000)) {
                lastCheckpoint = clock.now
                job.checkpointDue.store(true, ordering: .relaxed)
            }
            checkBudget(job, request: request, report: &report, stopwatch: stopwatch)
            if let onProgress = request.onProgress, clock.now - lastReport >= request.progressInterval {
                lastReport = clock.now
                onProgress(reader.progress.entryCount, reader.progress.bytesRead)
            }
            let ticks = reader.progress.tickCount
            if ticks != lastTicks || reader.progress.isWaitingOnDisk {
                lastTicks = ticks
                lastChange = clock.now
                continue
            }
            let idle = clock.now - lastChange
            if !job.began.load(ordering: .relaxed), idle >= .seconds(2) {
                // The thread never ran: no memory for its stack (the worker's limit), not damage.
                report.stalled = true
                let error = "could not start the reader thread: out of memory (the worker's memory limit is too small)"
                return report.ended(CheckResult(verdict: .error, error: error), after: stopwatch)
            }
            if idle >= .milliseconds(Int64(request.stallTimeout * 1000)) {
                report.stalled = true
                report.bytesRead = reader.progress.bytesRead
                return report.ended(stalledResult(seconds: request.stallTimeout, entries: reader.progress.entryCount), after: stopwatch)
            }
        }
        return nil
    }

    /// Starts the job's thread (16 MiB of stack); the job's `began` is set once it runs, and the
    /// semaphore signalled when it is done.
    private static func start(_ job: ReaderJob) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            job.began.store(true, ordering: .relaxed)
            job.run()
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
        return done
    }

    /// Stops the reader at the run's budget (`max_duration`, `max_bytes`), never before it has
    /// read one entry: every run makes progress, even when reaching what is left means
    /// inflating through what is done.
    private static func checkBudget(_ job: ReaderJob, request: VerificationRequest, report: inout VerificationReport, stopwatch: Stopwatch) {
        guard report.budgetReached == nil, job.entriesRead.load(ordering: .relaxed) > 0 else { return }
        let progress = job.reader.progress
        if let maxSeconds = request.maxSeconds, stopwatch.seconds() >= maxSeconds {
            report.budgetReached = "max_duration \(maxSeconds) s reached"
            progress.requestStop()
        } else if let maxBytes = request.maxBytes, progress.bytesRead >= maxBytes {
            report.budgetReached = "max_bytes \(maxBytes) reached"
            progress.requestStop()
        }
    }

    /// What reading one stream checked, and whether the dump it holds ended: a dump whose end
    /// is missing is a `truncated_dump` failure (only when the stream was read whole and good).
    static func checkSingleStream(_ stream: SingleStreamContent, filters: [String], into result: inout CheckResult, readToEnd: Bool) -> SingleStreamReport {
        var report = SingleStreamReport(checks: SingleStream.checks(filters: filters), dump: nil, dumpComplete: nil, contentBytes: stream.byteCount)
        let damaged = result.findings.contains { $0.kind == .corruptArchive }
        guard readToEnd, !damaged, result.verdict != .error else { return report }
        switch DumpCompletion.inspect(head: stream.head, tail: stream.tail) {
        case .notADump:
            break
        case .complete(let producer):
            report.dump = producer
            report.dumpComplete = true
        case .truncated(let producer, let lastBytes):
            report.dump = producer
            report.dumpComplete = false
            result.findings.insert(Finding(
                path: nil, kind: .truncatedDump, expected: "a \(producer.rawValue) dump ending with \"\(producer.endMarker)\"",
                actual: "the dump stops after \(stream.byteCount) bytes; its last bytes: \"\(lastBytes)\""), at: 0)
            if result.verdict == .pass { result.verdict = .fail }
        }
        return report
    }

    /// Reads the restored files back from disk, checks them against the manifest, and adds what
    /// that finds (and what the restore refused) to the stream's result.
    static func checkRestore(
        _ streamResult: CheckResult, writer: RestoreWriter, folder: String, request: VerificationRequest, sample: [Bool]?, stopped: Bool
    ) -> CheckResult {
        var result = streamResult
        if let shortage = writer.spaceShortage {
            // Not the archive's fault: the run could not verify, unless the stream already failed it.
            writer.close()
            if result.verdict != .fail { result.verdict = .error }
            result.error = "the restore stopped before the file system was full: \(shortage)"
            return result
        }
        var options = request.checkOptions
        options.compareOwnership = geteuid() == 0
        let onDisk = ArchiveCheck(manifest: request.manifest, sample: sample, options: options)
        writer.close()
        request.progress?.stage = .checkingRestore
        RestoredTree.feed(folder, into: onDisk, progress: request.progress)
        let diskResult = onDisk.finish(archiveDamage: nil, stoppedEarly: stopped || writer.limitExceeded)
        let known = Set(result.findings.map { "\($0.kind.rawValue) \($0.path?.description ?? "")" })
        var added = writer.findings
        for finding in diskResult.findings where !known.contains("\(finding.kind.rawValue) \(finding.path?.description ?? "")") {
            guard finding.kind != .unexpected else { continue }
            var copy = finding
            copy.actual = finding.kind == .missing ? "not restored" : "restored copy: \(finding.actual ?? "")"
            if let path = finding.path, writer.refused.contains(where: { $0.0 == path }) { continue }
            added.append(copy)
        }
        result.findings += added
        if writer.limitExceeded {
            result.findings.insert(Finding(path: nil, kind: .unsafeEntry, expected: "at most \(writer.limit) bytes restored", actual: "the restore was stopped at its limit"), at: 0)
        }
        if result.verdict == .pass, !result.findings.isEmpty { result.verdict = .fail }
        return result
    }

    static func defaultRestoreLimit(_ request: VerificationRequest, sample: [Bool]?, fileSize: Int64) -> Int64 {
        if let manifest = request.manifest {
            var declared: Int64 = 0
            var known = false
            for index in manifest.entries.indices where sample?[index] ?? true {
                if let size = manifest.entries.size(at: index) { declared += size; known = true }
            }
            if known { return declared + declared / 10 + (64 << 20) }
        }
        // A stream's size is not known before its end: only the reserve bounds the restore.
        if request.archiveStream != nil { return Int64.max / 2 }
        return max(fileSize, 1 << 20) * 50
    }

    /// A plain list of 128-digit digests is SHA-512 unless its name says b2sum wrote it. When
    /// every checked entry then differs, the list is most likely b2sum's under another name.
    static func b2sumHint(_ manifest: Manifest?, _ result: CheckResult) -> [String] {
        guard let manifest, manifest.format == .sha256sum, result.checked > 0,
              result.findings.lazy.filter({ $0.kind == .contentMismatch }).count == result.checked,
              manifest.algorithms == [.sha512] else { return [] }
        return ["every SHA-512 digest differs: if b2sum wrote this list, name it B2SUMS (or *.b2) or pass --format b2sum"]
    }

    /// The digests of the whole file to take: the sidecar's, and SHA-256 for a stream (printed,
    /// so that the same pass proves a copy's bytes too).
    static func wholeFileAlgorithms(_ request: VerificationRequest) -> [DigestAlgorithm] {
        var algorithms = request.archiveDigest.map { [$0.digest.algorithm] } ?? []
        if request.archiveStream != nil, !algorithms.contains(.sha256) { algorithms.append(.sha256) }
        return algorithms
    }

    static func stalledResult(seconds: Double, entries: Int) -> CheckResult {
        CheckResult(
            verdict: .fail,
            findings: [Finding(
                path: nil, kind: .corruptArchive,
                actual: "parser stalled: libarchive made no progress for \(seconds) s after \(entries) entries (damaged input that makes the parser loop)")],
            entriesSeen: entries)
    }
}

/// The reader and the check, handed to the reader thread. `@unchecked Sendable` because the
/// state is guarded by the mutex for the hand-back, and the thread that creates the job touches
/// the reader and the check again only through `take()`, after the reader thread has signalled.
private final class ReaderJob: @unchecked Sendable {
    private(set) var reader: ArchiveReader
    private var check: ArchiveCheck
    private let onCheckpoint: (@Sendable ([EntryVerification]) -> Void)?
    /// A fresh reader and check, for a sequential read after a seek index did not match.
    private let readAgain: () -> (ArchiveReader, ArchiveCheck)?
    /// The index's mismatch, when the archive was read again because of it.
    private(set) var indexUse: SeekIndexUse?
    private let output = Mutex<(ArchiveReader.Outcome, CheckResult)?>(nil)
    /// Set by the watching thread; the reading thread takes a checkpoint after the next entry.
    let checkpointDue = Atomic<Bool>(false)
    /// The thread started (it may not, for want of memory for its stack).
    let began = Atomic<Bool>(false)
    /// Entries whose content was read so far (the selected ones, when sampling).
    let entriesRead = Atomic<Int>(0)

    init(
        reader: ArchiveReader, check: ArchiveCheck, onCheckpoint: (@Sendable ([EntryVerification]) -> Void)?,
        readAgain: @escaping () -> (ArchiveReader, ArchiveCheck)?
    ) {
        self.reader = reader
        self.check = check
        self.onCheckpoint = onCheckpoint
        self.readAgain = readAgain
    }

    func run() {
        var outcome = reader.read(into: CheckpointingVisitor(check: check, job: self, onCheckpoint: onCheckpoint))
        if case .mismatch = outcome.seekIndexUse, !outcome.stoppedEarly, let (again, fresh) = readAgain() {
            indexUse = outcome.seekIndexUse
            reader = again
            check = fresh
            entriesRead.store(0, ordering: .relaxed)
            outcome = reader.read(into: CheckpointingVisitor(check: check, job: self, onCheckpoint: onCheckpoint))
        }
        // The last checkpoint: every entry whose result is known.
        if let onCheckpoint {
            let results = check.checkpoint()
            if !results.isEmpty { onCheckpoint(results) }
        }
        let result = check.finish(archiveDamage: outcome.damage, stoppedEarly: outcome.stoppedEarly)
        output.withLock { $0 = (outcome, result) }
    }

    func take() -> (ArchiveReader.Outcome, CheckResult) {
        output.withLock { $0! }
    }
}

/// Forwards entries to the check, counts the entries read, and, when a checkpoint is due, hands
/// the results known so far to the callback (on the reading thread, between entries).
private final class CheckpointingVisitor: EntryVisitor {
    let check: ArchiveCheck
    unowned let job: ReaderJob
    let onCheckpoint: (@Sendable ([EntryVerification]) -> Void)?

    init(check: ArchiveCheck, job: ReaderJob, onCheckpoint: (@Sendable ([EntryVerification]) -> Void)?) {
        self.check = check
        self.job = job
        self.onCheckpoint = onCheckpoint
    }

    func beginEntry(_ header: EntryHeader) -> ContentRequest { check.beginEntry(header) }

    func needsEntry(rawPath: [UInt8], type: EntryType) -> Bool { check.needsEntry(rawPath: rawPath, type: type) }

    func endEntry(_ content: EntryContent?) {
        check.endEntry(content)
        if content != nil { job.entriesRead.add(1, ordering: .relaxed) }
        if let onCheckpoint, job.checkpointDue.exchange(false, ordering: .relaxed) {
            let results = check.checkpoint()
            if !results.isEmpty { onCheckpoint(results) }
        }
    }
}
