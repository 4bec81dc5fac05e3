#if canImport(Glibc)
import Glibc
#endif

/// Writing to stdout and stderr without Foundation's buffering surprises.
enum Output {
    static func out(_ text: String) {
        write(1, text)
    }

    static func err(_ text: String) {
        write(2, text)
    }

    static func write(_ fd: Int32, _ text: String) {
        writeBytes(fd, Array(text.utf8))
    }

    static func writeBytes(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

}
