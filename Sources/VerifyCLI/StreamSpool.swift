#if canImport(Glibc)
import Glibc
#endif
import VerifyCore

/// An archive given as a stream (`-` for standard input, or a FIFO named on the command line),
/// copied to a temporary file as it arrives so that the engine then reads it as a file: every
/// format (a zip's central directory and 7z need seeking), the tar end check and the single-stream
/// checks hold as for a file. The SHA-256 of the whole stream is taken on the way.
///
/// Costs: the stream's size on the spool folder's file system, and a second read of the copy
/// (from the page cache while it fits). The copy is removed when `remove()` is called.
struct StreamSpool {
    /// The copy, a regular file that the engine reads.
    let path: String
    /// Bytes the stream held.
    let byteCount: Int64
    /// SHA-256 of the stream's bytes.
    let digest: Digest

    /// Reads the stream named by `argument` to its end into a new file in `folder`. Throws a
    /// message naming the stream, or the folder, when it cannot; when no byte arrives for
    /// `stallTimeout` seconds, the stream is declared stalled.
    static func spool(_ argument: String, into folder: String, stallTimeout: Double) throws(CommandError) -> StreamSpool {
        let input = try openStream(argument)
        defer { if input != 0 { close(input) } }
        let (privateFolder, path, output) = try createSpoolFile(for: argument, in: folder)
        defer { close(output) }
        SpoolCleanup.arm(path: path)
        do {
            let name = argument == "-" ? "standard input" : argument
            let (total, digest) = try copy(from: input, named: name, to: output, folder: folder, stallTimeout: stallTimeout)
            return StreamSpool(path: path, byteCount: total, digest: digest)
        } catch {
            SpoolCleanup.disarm()
            unlink(path)
            rmdir(privateFolder)
            throw error
        }
    }

    /// The stream's descriptor: 0 for `-`, else the FIFO (or file) opened without blocking.
    private static func openStream(_ argument: String) throws(CommandError) -> Int32 {
        if argument == "-" {
            if isatty(0) == 1 { throw CommandError(description: "-: standard input is a terminal; pipe the archive in (tar -c ... | verifyctl check -)") }
            return 0
        }
        // Without blocking: a FIFO no writer ever opens must not hang the open (a signal sent
        // to stop it may be blocked). The wait for a writer and its data is the poll of `copy`,
        // bounded by the stall timeout; on Linux no POLLHUP comes before a writer has been.
        let input = open(argument, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw CommandError(description: "\(argument): \(String(cString: strerror(errno)))") }
        return input
    }

    /// A private folder, and in it the stream under the FIFO's own name (db.sql.gz), so that
    /// what the engine derives from the name (a single stream's content name) holds as for the
    /// file; standard input is "stdin". Returns the folder, the file's path and its descriptor.
    private static func createSpoolFile(for argument: String, in folder: String) throws(CommandError) -> (String, String, Int32) {
        var template = Array((folder.hasSuffix("/") ? folder : folder + "/").utf8CString.dropLast()) + Array("verifyctl-stream-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CommandError(description: "\(folder): cannot create the spool file for the stream (\(String(cString: strerror(errno)))); choose another folder with --spool DIR")
        }
        let privateFolder = String(cString: template)
        let base = argument == "-" ? "stdin" : String(argument.split(separator: "/").last ?? "stream")
        let path = privateFolder + "/" + (base == "." || base == ".." ? "stream" : base)
        let output = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard output >= 0 else {
            let error = errno
            rmdir(privateFolder)
            throw CommandError(description: "\(folder): cannot create the spool file for the stream (\(String(cString: strerror(error)))); choose another folder with --spool DIR")
        }
        return (privateFolder, path, output)
    }

    /// Copies `input` to its end into `output`, hashing it; a stall of `stallTimeout` seconds
    /// without data is an error. Returns the byte count and the SHA-256.
    private static func copy(
        from input: Int32, named name: String, to output: Int32, folder: String, stallTimeout: Double
    ) throws(CommandError) -> (Int64, Digest) {
        var hasher = ContentHasher(algorithms: [.sha256])
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 64)
        defer { buffer.deallocate() }
        let timeoutMs = Int32(min(stallTimeout * 1000, Double(Int32.max)))
        while true {
            var ready = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, timeoutMs)
            if polled < 0 {
                if errno == EINTR { continue }
                throw CommandError(description: "\(name): \(String(cString: strerror(errno)))")
            }
            if polled == 0 {
                throw CommandError(description: "\(name): stalled: no data for \(NumberTextShort.seconds(stallTimeout)) after \(total) bytes (--stall-timeout)")
            }
            let n = read(input, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw CommandError(description: "\(name): read error after \(total) bytes: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(chunk)
            var written = 0
            while written < n {
                let w = write(output, chunk.baseAddress! + written, n - written)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw CommandError(description: "\(folder): cannot write the spool file for the stream after \(total + Int64(written)) bytes (\(String(cString: strerror(errno)))); choose another folder with --spool DIR")
                }
                written += w
            }
            total += Int64(n)
        }
        return (total, hasher.finalize()[0])
    }

    /// Removes the copy.
    func remove() {
        SpoolCleanup.disarm()
        unlink(path)
        rmdir(String(path[..<path.lastIndex(of: "/")!]))
    }
}

/// Seconds as a short text ("10 s", "0.5 s").
private enum NumberTextShort {
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
