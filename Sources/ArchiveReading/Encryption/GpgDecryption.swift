import Foundation
import ProcessSpawning

#if canImport(Glibc)
import Glibc
#endif

/// An OpenPGP-encrypted archive decrypted by `gpg --decrypt --batch` (writing OpenPGP ourselves
/// is not wanted), its keyring the `--homedir` the configuration names, no agent prompt
/// (`--pinentry-mode loopback` without a passphrase: a protected key fails, it never waits).
///
/// gpg's `--status-fd` lines decide, not its exit status alone: a session key that could not be
/// had (`NO_SECKEY`, no `DECRYPTION_KEY`) is a key problem (`error`); plaintext that began but
/// did not end with `DECRYPTION_OKAY` (`BADMDC`, `DECRYPTION_FAILED`, a truncated or damaged
/// packet) is damage (`fail`), at the count of plaintext bytes gpg had handed on.
///
/// The daemon's worker starts it before it seals itself (gpg talks to its agent over a Unix
/// socket and writes in its homedir, which the sandbox forbids); `verifyctl check` when the
/// envelope is opened. gpg's status lines are read once its output ended (its stderr pipe is
/// widened to 1 MiB meanwhile; it writes a few hundred bytes). `@unchecked Sendable`: used by one thread at a time, like `ByteStream`.
public final class GpgDecryption: ByteProducer, @unchecked Sendable {
    private let child: ChildProcess
    private let status: Int32
    private var delivered: Int64 = 0
    private var ended = false
    private(set) var failure: DecryptionError?
    var failureMessage: String? { failure?.message }

    /// Most bytes of gpg's status and messages kept.
    static let statusLimit = 1 << 16

    /// Starts gpg on the file at `archive`, with `posix_spawn` (no thread: the worker seals
    /// itself afterwards, and refuses to when it runs several).
    public static func start(archive: String, gpgHome: String) throws(DecryptionError) -> GpgDecryption {
        let input: Int32
        switch DestinationFile.open(archive) {
        case .success(let fd): input = fd
        case .failure(let problem): throw DecryptionError(.io, "\(archive) \(problem.reason)")
        }
        defer { close(input) }
        let arguments = [
            "gpg", "--batch", "--no-tty", "--quiet", "--homedir", gpgHome, "--pinentry-mode", "loopback",
            "--status-fd", "2", "--decrypt",
        ]
        switch ChildProcess.spawn("/usr/bin/gpg", arguments: arguments, options: spawnOptions(input: input)) {
        case .success(let child): return GpgDecryption(child)
        case .failure(let error) where error.stage == .pipe: throw DecryptionError(.io, "pipe: \(error)")
        case .failure(let error): throw DecryptionError(.key, "gpg could not be started (/usr/bin/gpg: \(error)); install gnupg")
        }
    }

    /// gpg reads the archive's descriptor, writes the plaintext and its status to two pipes; a
    /// minimal environment, no signal blocked, every one at its default action.
    private static func spawnOptions(input: Int32) -> ChildProcess.Options {
        var options = ChildProcess.Options(environment: ["PATH=/usr/bin:/bin", "LC_ALL=C"])
        options.standardInput = .descriptor(input)
        // gpg's status is read once its output ended: room for all of it meanwhile.
        options.standardError = .pipe(size: 1 << 20)
        // gpg decrypts ahead while the reader works: 1 MiB of plaintext in flight instead of the
        // pipe's default 64 KiB spares a wake-up of each side every 64 KiB.
        options.outputPipeSize = 1 << 20
        options.defaultSignals = true
        return options
    }

    private init(_ child: ChildProcess) {
        self.child = child
        // `.pipe` asked for it: always there.
        self.status = child.errors ?? -1
    }

    deinit {
        close(child.output)
        close(status)
        // gpg ends on the closed pipe; reaped here (the sealed worker may not signal it).
        if !ended { _ = child.wait() }
    }

    public func produce(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if failure != nil { return -1 }
        if ended { return 0 }
        while true {
            let n = Glibc.read(child.output, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n > 0 {
                delivered += Int64(n)
                return n
            }
            if n < 0 {
                failure = DecryptionError(.io, "reading gpg's output: \(String(cString: strerror(errno)))")
                return -1
            }
            ended = true
            failure = verdict()
            return failure == nil ? 0 : -1
        }
    }

    /// gpg's verdict once its output ended: nil when it decrypted the whole message.
    private func verdict() -> DecryptionError? {
        var text: [UInt8] = []
        ChildProcess.readAll(from: status) { chunk in
            text += chunk.prefix(Self.statusLimit - text.count)
            return text.count < Self.statusLimit
        }
        let exitStatus = child.wait().shellStatus
        return GpgStatus(String(decoding: text, as: UTF8.self)).problem(exitStatus: exitStatus, plaintextBytes: delivered)
    }
}

/// The lines gpg wrote with `--status-fd 2` (`[GNUPG:] KEYWORD ...`) and its own messages.
struct GpgStatus {
    var keywords: [String] = []
    var arguments: [String: String] = [:]
    var messages: [String] = []

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("[GNUPG:] ") {
                let words = line.dropFirst(9).split(separator: " ", maxSplits: 1)
                guard let keyword = words.first.map(String.init) else { continue }
                keywords.append(keyword)
                arguments[keyword] = words.count > 1 ? String(words[1]) : ""
            } else if line.hasPrefix("gpg: ") {
                messages.append(String(line.dropFirst(5).prefix(200)))
            }
        }
    }

    func has(_ keyword: String) -> Bool { keywords.contains(keyword) }

    /// Why the decryption did not succeed, or nil.
    func problem(exitStatus: Int32, plaintextBytes: Int64) -> DecryptionError? {
        let said = messages.last.map { " (gpg: \($0))" } ?? ""
        if exitStatus == 0, has("DECRYPTION_OKAY"), !has("BADMDC"), !has("DECRYPTION_FAILED") { return nil }
        if !has("PLAINTEXT"), !has("DECRYPTION_KEY") {
            let ids = keywords.indices.filter { keywords[$0] == "NO_SECKEY" }.isEmpty ? "" : " (no secret key for \(arguments["NO_SECKEY"] ?? "its recipients"))"
            return DecryptionError(.key, "gpg_home holds no key that opens this OpenPGP message\(ids): the key is missing or wrong\(said)")
        }
        let what = has("BADMDC") ? "fails its integrity check (MDC): the file was changed"
            : "does not decrypt to its end: the file was changed or truncated"
        return DecryptionError.damage(at: plaintextBytes, "the OpenPGP message \(what); the plaintext stops after \(plaintextBytes) bytes (gpg exit status \(exitStatus))\(said)")
    }
}
