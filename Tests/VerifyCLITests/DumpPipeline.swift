import Foundation

/// `dumper | compressor > file`, run by the test with posix_spawn so that it can cut the dumper
/// at a known point: the compressor is stopped (SIGSTOP) before the dumper starts, the dumper
/// fills the pipe and blocks, and is then killed with SIGKILL; the compressor, continued, reads
/// what the pipe holds, sees the end of its input and closes its stream cleanly. What a dumper
/// that dies midway (killed, out of memory, connection lost) leaves on a backup host.
struct DumpPipeline {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let dumper: [String]
    let compressor: [String]
    let output: String

    /// Runs the pipeline to its end; throws unless both exit 0.
    func run() throws {
        var fds: [Int32] = [0, 0]
        guard Self.makePipe(&fds) else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw Failure(description: "\(output): \(String(cString: strerror(errno)))") }
        let compressing = try Self.spawn(compressor, stdin: fds[0], stdout: out, closing: [fds[1]])
        let dumping = try Self.spawn(dumper, stdin: -1, stdout: fds[1], closing: [fds[0]])
        close(fds[0]); close(fds[1]); close(out)
        let dumperStatus = Self.wait(dumping), compressorStatus = Self.wait(compressing)
        guard dumperStatus == 0, compressorStatus == 0 else {
            throw Failure(description: "\(dumper[0]) exited \(dumperStatus), \(compressor[0]) exited \(compressorStatus)")
        }
    }

    /// Runs the pipeline and kills the dumper once it has filled the pipe (so, midway: the dump
    /// must be larger than a pipe holds). Returns the bytes of the dump the compressor got.
    func runKillingTheDumperMidway() throws -> Int {
        var fds: [Int32] = [0, 0]
        guard Self.makePipe(&fds) else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let capacity = Int(fcntl(fds[0], 1032 /* F_GETPIPE_SZ */))
        let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0, capacity > 0 else { throw Failure(description: "\(output): \(String(cString: strerror(errno)))") }
        let compressing = try Self.spawn(compressor, stdin: fds[0], stdout: out, closing: [fds[1]])
        kill(compressing, SIGSTOP)
        // In a process group of its own: pg_dumpall writes through a pg_dump child, and both die.
        let dumping = try Self.spawn(dumper, stdin: -1, stdout: fds[1], closing: [fds[0]], ownGroup: true)
        close(fds[1]); close(out)
        // Wait for the positive event: the dumper is blocked writing to the full pipe (the kernel
        // says where it sleeps; a pipe counts as full once its page slots are, a little short of
        // its capacity in bytes).
        let deadline = ContinuousClock.now + .seconds(30)
        var queued: Int32 = 0
        while true {
            _ = ioctl(fds[0], UInt(FIONREAD), &queued)
            if Int(queued) > capacity / 2, Self.blockedWriting(dumping) { break }
            var status: Int32 = 0
            if waitpid(dumping, &status, WNOHANG) == dumping {
                kill(compressing, SIGKILL)
                _ = Self.wait(compressing)
                close(fds[0])
                throw Failure(description: "\(dumper[0]) ended (status \(status)) before it filled the pipe: the dump is too small to cut")
            }
            guard ContinuousClock.now < deadline else {
                kill(dumping, SIGKILL); kill(compressing, SIGKILL)
                let children = (try? String(contentsOfFile: "/proc/\(dumping)/task/\(dumping)/children", encoding: .utf8)) ?? "?"
                let channel = (try? String(contentsOfFile: "/proc/\(dumping)/wchan", encoding: .utf8)) ?? "?"
                kill(-dumping, SIGKILL); kill(compressing, SIGKILL)
                throw Failure(description: "the pipe never filled (\(queued) of \(capacity) bytes; \(dumper) in \(channel), children \(children))")
            }
            usleep(5_000)
        }
        // pg_dumpall writes through a pg_dump child: the pipe's content is final once every
        // process of the group is gone, so it is counted then, not when the pipe was seen full.
        let children = ((try? String(contentsOfFile: "/proc/\(dumping)/task/\(dumping)/children", encoding: .utf8)) ?? "")
            .split(separator: " ").compactMap { Int32($0) }
        kill(-dumping, SIGKILL)
        let dumperStatus = Self.wait(dumping)
        let gone = ContinuousClock.now + .seconds(10)
        while children.contains(where: { kill($0, 0) == 0 }), ContinuousClock.now < gone { usleep(1_000) }
        _ = ioctl(fds[0], UInt(FIONREAD), &queued)
        close(fds[0])
        kill(compressing, SIGCONT)
        let compressorStatus = Self.wait(compressing)
        guard dumperStatus == 128 + SIGKILL, compressorStatus == 0 else {
            throw Failure(description: "\(dumper[0]) ended \(dumperStatus) (expected SIGKILL), \(compressor[0]) exited \(compressorStatus)")
        }
        return Int(queued)
    }

    /// A pipe whose ends close on exec (other tests of this process start programs too: an end
    /// they inherited would keep the pipe open). Glibc's Swift module has no pipe2.
    static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Starts a program (looked up on PATH) with these descriptors as stdin and stdout (-1:
    /// /dev/null), `closing` closed in the child.
    static func spawn(_ arguments: [String], stdin: Int32, stdout: Int32, closing: [Int32], ownGroup: Bool = false) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownGroup {
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        for fd in closing { posix_spawn_file_actions_addclose(&actions, fd) }
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let status = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard status == 0 else { throw Failure(description: "\(arguments[0]): \(String(cString: strerror(status)))") }
        return pid
    }

    /// Whether the process, or one of its descendants, sleeps in a write to a pipe (the kernel's
    /// wait channel: "pipe_write", or "anon_pipe_write" in newer kernels).
    static func blockedWriting(_ pid: pid_t, depth: Int = 0) -> Bool {
        if ((try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? "").hasSuffix("pipe_write") { return true }
        // pg_dumpall runs pg_dump through a shell: two levels down.
        guard depth < 3 else { return false }
        let children = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
            .split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return children.contains { blockedWriting($0, depth: depth + 1) }
    }

    /// The exit status, or 128 + the signal that ended it.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
