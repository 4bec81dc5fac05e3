import Foundation
import Testing
import VerifySystem
import VerifyTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The one spawner of workers and hooks, with real programs.
struct ChildProcessTests {
    /// Runs `arguments` with `input`, and returns its output and how it ended.
    func run(_ arguments: [String], input: String = "", options: ChildProcess.Options = .init(environment: ["PATH=/usr/bin:/bin"])) throws -> (output: String, status: ChildExit) {
        let child = try ChildProcess.spawn(arguments[0], arguments: arguments, options: options).get()
        child.writeInput(Array(input.utf8))
        var output: [UInt8] = []
        child.readOutput { chunk in
            output += chunk
            return true
        }
        return (String(decoding: output, as: UTF8.self), child.wait())
    }

    @Test func feedsStdinAndReadsStdoutAndTheExitStatus() throws {
        var options = ChildProcess.Options(environment: ["PATH=/usr/bin:/bin"])
        let script = "read line; echo \"got $line\"; echo oops >&2; exit 3"
        #expect(try run(["/bin/sh", "-c", script], input: "hello\n", options: options) == ("got hello\n", ChildExit.exited(3)))
        options.standardErrorToOutput = true
        #expect(try run(["/bin/sh", "-c", script], input: "hello\n", options: options) == ("got hello\noops\n", ChildExit.exited(3)))
    }

    /// Tests run with SIGTERM blocked (their parent's mask): `defaultSignals` gives the child the
    /// usual stop signals back, so a hook's timeout can end it.
    @Test func defaultSignalsLetSIGTERMEndTheChild() throws {
        var options = ChildProcess.Options(environment: ["PATH=/usr/bin:/bin"])
        options.defaultSignals = true
        #expect(try run(["/bin/sh", "-c", "kill -TERM $$; exit 7"], options: options).status == .signaled(SIGTERM))
        #expect(ChildExit(waitStatus: 3 << 8) == .exited(3) && ChildExit(waitStatus: 9).signal == 9 && ChildExit.exited(0).exitCode == 0)
    }

    @Test func theEnvironmentIsOnlyWhatIsGiven() throws {
        let options = ChildProcess.Options(environment: ["ONLY=this", "PATH=/bin"])
        #expect(try run(["/usr/bin/env"], options: options).output.split(separator: "\n").sorted() == ["ONLY=this", "PATH=/bin"])
    }

    /// A descriptor the parent left open without close-on-exec does not reach the child.
    @Test func noDescriptorOfTheParentLeaks() throws {
        let leaked = open("/dev/null", O_RDONLY)
        try #require(leaked > 2)
        defer { close(leaked) }
        let result = try run(["/bin/ls", "-1", "/proc/self/fd"])
        let descriptors = Set(result.output.split(separator: "\n").compactMap { Int32($0) })
        #expect(result.status == .exited(0))
        // 0, 1, 2 and the folder ls reads.
        #expect(descriptors.isSubset(of: [0, 1, 2, 3]) && !descriptors.contains(leaked) && descriptors.isSuperset(of: [0, 1, 2]), "\(descriptors)")
    }

    @Test func ownProcessGroupMakesTheChildItsLeader() throws {
        var options = ChildProcess.Options(environment: ["PATH=/usr/bin:/bin"])
        options.ownProcessGroup = true
        let child = try ChildProcess.spawn("/bin/sh", arguments: ["/bin/sh", "-c", "read line"], options: options).get()
        // Field 5 of /proc/PID/stat is the process group (the name in field 2 has no space here).
        let stat = try String(contentsOfFile: "/proc/\(child.pid)/stat", encoding: .utf8)
        child.writeInput(Array("go\n".utf8))
        child.readOutput { _ in true }
        #expect(child.wait() == .exited(0))
        #expect(stat.split(separator: " ")[4] == "\(child.pid)", "\(stat)")
    }

    @Test func aMissingProgramIsASpawnErrorWithItsText() throws {
        let result = ChildProcess.spawn("/nonexistent/program", arguments: ["program"], options: .init(environment: []))
        #expect(throws: ChildProcess.SpawnError(stage: .spawn, code: ENOENT)) { try result.get() }
        #expect(ChildProcess.SpawnError(stage: .spawn, code: ENOENT).description == "No such file or directory")
    }

    /// A child that exits without reading its input: the write fails with EPIPE and the caller
    /// lives on (the test process, like verifyd, has SIGPIPE at its default action, which ends
    /// the process). 1 MiB does not fit in the pipe, so the write cannot succeed by chance.
    @Test func writingToAChildThatExitedDoesNotKillTheCaller() throws {
        let child = try ChildProcess.spawn("/bin/true", arguments: ["true"], options: .init(environment: [])).get()
        #expect(child.wait() == .exited(0))
        child.writeInput([UInt8](repeating: 0x41, count: 1 << 20))
        child.readOutput { _ in true }
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0, "no SIGPIPE is left pending")
    }

    /// `readOutput` stops when asked to; the rest of the output is not waited for.
    @Test func readingStopsWhenTheCallerHasWhatItWants() throws {
        let child = try ChildProcess.spawn("/bin/sh", arguments: ["/bin/sh", "-c", "echo first; read line; echo second"], options: .init(environment: [])).get()
        var chunks = 0
        child.readOutput { chunk in
            chunks += 1
            return !chunk.contains(UInt8(ascii: "\n"))
        }
        // The output is closed: the child's second echo fails (EPIPE or SIGPIPE) once it reads its line.
        child.writeInput(Array("go\n".utf8))
        #expect(chunks == 1)
        #expect(child.wait() != .exited(0))
    }

    /// The tests' own `Tool.run` feeds stdin the same way: a tool that exits without reading
    /// (python3 missing a module, say) fails its test instead of ending every test with SIGPIPE.
    @Test func toolRunSurvivesAChildThatReadsNothing() throws {
        let result = try Tool.run(["true"], input: [UInt8](repeating: 0x41, count: 1 << 20))
        #expect(result.status == 0)
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0, "no SIGPIPE is left pending")
    }
}
