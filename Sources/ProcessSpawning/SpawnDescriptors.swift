import CDaemonSupport

#if canImport(Glibc)
import Glibc
#endif

/// The descriptors of one spawn: what the child gets as 0, 1 and 2, and the parent's ends of the
/// pipes. Every pipe is close-on-exec; the child's ends are closed in the parent once it has them.
struct SpawnDescriptors {
    /// The child's stdin, stdout and stderr (stderr nil: the parent's).
    var standardInput: Int32 = -1
    var standardOutput: Int32 = -1
    var standardError: Int32?
    /// The parent's ends: the write end of stdin's pipe, the read ends of stdout's and stderr's.
    var input: Int32?
    var output: Int32 = -1
    var errors: Int32?
    /// The child's ends of the pipes (not a descriptor the caller gave).
    private var childEnds: [Int32] = []

    /// The pipes `options` ask for; none is left open when one cannot be made.
    static func open(_ options: ChildProcess.Options) -> Result<SpawnDescriptors, ChildProcess.SpawnError> {
        var made = SpawnDescriptors()
        do {
            switch options.standardInput {
            case .pipe:
                let pipe = try makePipe(size: nil)
                made.childEnds.append(pipe.read)
                (made.standardInput, made.input) = (pipe.read, pipe.write)
            case .descriptor(let descriptor):
                made.standardInput = descriptor
            }
            let output = try makePipe(size: options.outputPipeSize)
            made.childEnds.append(output.write)
            (made.standardOutput, made.output) = (output.write, output.read)
            switch options.standardError {
            case .inherited: break
            case .output: made.standardError = output.write
            case .pipe(let size):
                let errors = try makePipe(size: size)
                made.childEnds.append(errors.write)
                (made.standardError, made.errors) = (errors.write, errors.read)
            }
        } catch {
            made.closeChildEnds()
            made.closeParentEnds()
            return .failure(error)
        }
        return .success(made)
    }

    /// A close-on-exec pipe, grown to `size` bytes when given (best effort).
    private static func makePipe(size: Int32?) throws(ChildProcess.SpawnError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard verifyd_pipe_cloexec(&ends) == 0 else { throw ChildProcess.SpawnError(stage: .pipe, code: errno) }
        if let size { _ = verifyd_pipe_grow(ends[1], size) }
        return (ends[0], ends[1])
    }

    /// Closes the child's ends of the pipes (once it has them, or when it was not started).
    mutating func closeChildEnds() {
        for descriptor in childEnds { close(descriptor) }
        childEnds = []
    }

    /// Closes the parent's ends (when the child was not started).
    func closeParentEnds() {
        for descriptor in [input, output, errors].compactMap({ $0 }) where descriptor >= 0 { close(descriptor) }
    }
}
