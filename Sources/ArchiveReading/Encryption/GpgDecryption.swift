import Foundation

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
    private let pid: pid_t
    private let output: Int32
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
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw DecryptionError(.io, "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw DecryptionError(.io, "pipe: \(String(cString: strerror(errno)))")
        }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // gpg's status is read once its output ended: room for all of it meanwhile.
        _ = fcntl(err[1], 1031 /* F_SETPIPE_SZ */, Int32(1 << 20))
        // gpg decrypts ahead while the reader works: 1 MiB of plaintext in flight instead of the
        // pipe's default 64 KiB spares a wake-up of each side every 64 KiB.
        _ = fcntl(out[1], 1031 /* F_SETPIPE_SZ */, Int32(1 << 20))
        let arguments = [
            "gpg", "--batch", "--no-tty", "--quiet", "--homedir", gpgHome, "--pinentry-mode", "loopback",
            "--status-fd", "2", "--decrypt",
        ]
        let spawned = spawn(arguments, stdin: input, stdout: out[1], stderr: err[1])
        close(out[1])
        close(err[1])
        guard case .success(let pid) = spawned, pid > 0 else {
            close(out[0]); close(err[0])
            throw DecryptionError(.key, "gpg could not be started (/usr/bin/gpg: \(String(cString: strerror(spawned.errorCode)))); install gnupg")
        }
        return GpgDecryption(pid: pid, output: out[0], status: err[0])
    }

    private init(pid: pid_t, output: Int32, status: Int32) {
        self.pid = pid
        self.output = output
        self.status = status
    }

    /// posix_spawn of /usr/bin/gpg with a minimal environment, default signal mask and actions.
    private static func spawn(_ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32) -> SpawnResult {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let environment: [String] = ["PATH=/usr/bin:/bin", "LC_ALL=C"]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, "/usr/bin/gpg", &actions, &attributes, argv, envp)
        return code == 0 ? .success(pid) : .failure(code)
    }

    private enum SpawnResult {
        case success(pid_t)
        case failure(Int32)
        var errorCode: Int32 { if case .failure(let code) = self { code } else { 0 } }
    }

    deinit {
        close(output)
        close(status)
        // gpg ends on the closed pipe; reaped here (the sealed worker may not signal it).
        if !ended { _ = waitpid(pid, nil, 0) }
    }

    public func produce(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if failure != nil { return -1 }
        if ended { return 0 }
        while true {
            let n = Glibc.read(output, buffer.baseAddress, buffer.count)
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
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        while text.count < Self.statusLimit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(status, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            text += chunk[..<n]
        }
        var exit: Int32 = 0
        while waitpid(pid, &exit, 0) < 0, errno == EINTR {}
        // WIFEXITED: the low 7 bits are 0; WEXITSTATUS: the next 8.
        let exitStatus = exit & 0x7f == 0 ? (exit >> 8) & 0xff : 128 + (exit & 0x7f)
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
