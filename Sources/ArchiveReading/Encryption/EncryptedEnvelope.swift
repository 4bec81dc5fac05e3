#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// An encrypted archive opened for verification: its envelope recognised by content, its
/// header checked and its key unwrapped; `stream` then hands the plaintext to the reader as
/// any stream is read (once, in order). After the run, `finish` turns what the decryption
/// found into the report: damage (a chunk that fails authentication, truncation) is a
/// `corrupt_archive` finding at its byte offset, a key problem is an `error`.
final class EncryptedEnvelope {
    /// The outcome of opening a file.
    enum Opening {
        /// Not encrypted: read as it is.
        case plain
        case opened(EncryptedEnvelope)
        /// Could not be opened: the run's result (`error` for keys, `fail` for damage).
        case refused(EnvelopeKind, CheckResult)
    }

    let kind: EnvelopeKind
    let stream: ByteStream
    private let decryptor: any EnvelopeDecryptor

    private init(kind: EnvelopeKind, stream: ByteStream, decryptor: any EnvelopeDecryptor) {
        self.kind = kind
        self.stream = stream
        self.decryptor = decryptor
    }

    /// Looks at the first bytes of the request's archive (file or stream) and opens its
    /// envelope when it has one.
    static func open(_ request: VerificationRequest) -> Opening {
        let path = request.archivePath
        let source: any RawByteSource
        let head: [UInt8]
        if let stream = request.archiveStream {
            head = stream.head(EnvelopeKind.headLength)
            source = stream
        } else {
            guard case .success(let fd) = DestinationFile.open(path) else { return .plain }
            var bytes = [UInt8](repeating: 0, count: EnvelopeKind.headLength)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            head = Array(bytes.prefix(max(n, 0)))
            source = DescriptorSource(fd: fd)
        }
        guard let kind = EnvelopeKind.recognise(head) else { return .plain }
        let input: EnvelopeInput
        switch kind {
        case .age: input = EnvelopeInput(source)
        case .ageArmored: input = EnvelopeInput(ArmorSource(source, label: "AGE ENCRYPTED FILE"))
        case .openPGP, .openPGPArmored:
            return openPGP(kind, request)
        }
        if let problem = request.decryptionKeys?.problem { return .refused(kind, result(DecryptionError(.key, problem), path: path)) }
        let keys = request.decryptionKeys?.age ?? AgeKeys()
        guard !keys.isEmpty else {
            return .refused(kind, result(DecryptionError(.key, "the file is age-encrypted and no age key is configured (age_identity, age_passphrase; verifyctl check --age-identity)"), path: path))
        }
        do {
            let decryptor = try AgeDecryptor(input: input, keys: keys)
            return .opened(EncryptedEnvelope(kind: kind, stream: ByteStream(name: path, producer: decryptor), decryptor: decryptor))
        } catch {
            return .refused(kind, result(error, path: path))
        }
    }

    /// An OpenPGP message: decrypted by the gpg the worker started before it sealed itself, or
    /// by one started now (`verifyctl check`).
    private static func openPGP(_ kind: EnvelopeKind, _ request: VerificationRequest) -> Opening {
        let path = request.archivePath
        if let problem = request.decryptionKeys?.problem { return .refused(kind, result(DecryptionError(.key, problem), path: path)) }
        let gpg: GpgDecryption
        if let started = request.decryptionKeys?.gpgStarted {
            gpg = started
        } else if let home = request.decryptionKeys?.gpgHome {
            guard request.archiveStream == nil else {
                return .refused(kind, result(DecryptionError(.key, "an OpenPGP message on a stream is not decrypted: use --spool DIR"), path: path))
            }
            do {
                gpg = try GpgDecryption.start(archive: path, gpgHome: home)
            } catch {
                return .refused(kind, result(error, path: path))
            }
        } else {
            return .refused(kind, result(DecryptionError(.key, "the file is OpenPGP-encrypted and no keyring is configured (gpg_home; verifyctl check --gpg-home)"), path: path))
        }
        return .opened(EncryptedEnvelope(kind: kind, stream: ByteStream(name: path, producer: gpg), decryptor: gpg))
    }

    /// The result of a decryption that failed: `fail` with a `corrupt_archive` finding for
    /// damage, `error` otherwise.
    static func result(_ error: DecryptionError, path: String, findings: [Finding] = []) -> CheckResult {
        switch error.kind {
        case .damage(let offset):
            let finding = Finding(path: nil, kind: .corruptArchive, expected: "an intact encrypted file", actual: "at byte \(offset): \(error.message)")
            return CheckResult(verdict: .fail, findings: [finding] + findings)
        case .key, .io:
            return CheckResult(verdict: .error, findings: findings, error: "\(path): \(error.message)")
        }
    }

    /// Adds what the decryption found to the report of the run over its plaintext.
    func finish(_ report: inout VerificationReport) {
        report.filters.insert(kind.filterName, at: 0)
        // gpg hands on plaintext before it checks it: what it says at the end decides, even
        // when the reader stopped early (damage inside may be damage to the envelope).
        decryptor.readToEnd()
        guard let failure = decryptor.failure else { return }
        let counts = report.result
        report.result = Self.result(failure, path: report.request.archivePath, findings: counts.findings)
        report.result.entriesSeen = counts.entriesSeen
        report.result.selected = counts.selected
        report.result.checked = counts.checked
        report.result.entriesRead = counts.entriesRead
        report.result.contentBytes = counts.contentBytes
        report.result.notVerified = counts.notVerified
    }
}

/// A decryptor whose plaintext a `ByteStream` hands on, and why it stopped, once it did.
protocol EnvelopeDecryptor: ByteProducer {
    var failure: DecryptionError? { get }
    /// Reads what is left, for a decryptor whose verdict comes only at its end.
    func readToEnd()
}

/// Every chunk is authenticated before it is handed on: what was not read needs no verdict.
extension AgeDecryptor: EnvelopeDecryptor {
    func readToEnd() {}
}

extension GpgDecryption: EnvelopeDecryptor {
    func readToEnd() {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        while produce(into: scratch) > 0 {}
    }
}
