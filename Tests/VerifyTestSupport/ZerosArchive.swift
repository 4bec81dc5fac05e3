import Foundation

/// A .tar.gz of one file of zeros, GiBs of it written in a moment: one gzip member of 64 MiB of
/// zeros, repeated (concatenated members are one gzip stream). For runs long enough to watch.
public enum ZerosArchive {
    public static func write(_ path: String, gibibytes: Int) throws {
        try Tool.must(["python3", "-c", """
            import gzip, sys, tarfile
            size = \(gibibytes) << 30
            info = tarfile.TarInfo('zeros.bin'); info.size = size
            header = info.tobuf(format=tarfile.GNU_FORMAT)
            chunk = gzip.compress(bytes(64 << 20), compresslevel=1)
            with open(sys.argv[1], 'wb') as f:
                f.write(gzip.compress(header))
                for _ in range(size // (64 << 20)): f.write(chunk)
                f.write(gzip.compress(bytes(1024)))
            """, path])
    }
}
