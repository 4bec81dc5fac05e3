import Foundation
import Synchronization

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
/// envelope is opened. `@unchecked Sendable`: used by one thread at a time, like `ByteStream`.
public final class GpgDecryption: ByteProducer, @unchecked Sendable {
    private let process: Process
    private let output: FileHandle
    private let statusDone = DispatchGroup()
    private let statusText = Mutex<[UInt8]>([])
    private var delivered: Int64 = 0
    private var statusPipe: FileHandle?
    private var ended = false
    private(set) var failure: DecryptionError?
    var failureMessage: String? { failure?.message }

    /// Most bytes of gpg's status and messages kept.
    static let statusLimit = 1 << 16

    /// Starts gpg on the file at `archive`.
    public static func start(archive: String, gpgHome: String) throws(DecryptionError) -> GpgDecryption {
        guard let input = FileHandle(forReadingAtPath: archive) else { throw DecryptionError(.io, "\(archive) cannot be opened for gpg") }
        return try GpgDecryption(input: input, gpgHome: gpgHome)
    }

    private init(input: FileHandle, gpgHome: String) throws(DecryptionError) {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gpg")
        process.arguments = [
            "--batch", "--no-tty", "--quiet", "--homedir", gpgHome, "--pinentry-mode", "loopback",
            "--status-fd", "2", "--decrypt",
        ]
        process.environment = ["PATH": "/usr/bin:/bin", "LC_ALL": "C"]
        let out = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        output = out.fileHandleForReading
        do {
            try process.run()
        } catch {
            throw DecryptionError(.key, "gpg could not be started (/usr/bin/gpg: \(error)); install gnupg")
        }
        try? input.close()
        statusPipe = err.fileHandleForReading
    }

    /// Reads gpg's status on a thread of its own, started with the first read (in the worker:
    /// after the seal, so that the thread is sealed too).
    private func followStatus() {
        guard let reader = statusPipe else { return }
        statusPipe = nil
        statusDone.enter()
        let thread = Thread { [self] in
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                self.statusText.withLock { if $0.count < Self.statusLimit { $0 += data.prefix(Self.statusLimit - $0.count) } }
            }
            self.statusDone.leave()
        }
        thread.start()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    public func produce(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if failure != nil { return -1 }
        if ended { return 0 }
        followStatus()
        while true {
            let n = Glibc.read(output.fileDescriptor, buffer.baseAddress, buffer.count)
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
        process.waitUntilExit()
        statusDone.wait()
        let status = GpgStatus(statusText.withLock { String(decoding: $0, as: UTF8.self) })
        return status.problem(exitStatus: process.terminationStatus, plaintextBytes: delivered)
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
