#if canImport(Glibc)
import Glibc
#endif

/// The process-wide C settings libarchive depends on.
extension ArchiveReader {
    /// libarchive converts names through the C locale; Swift never sets one, so without this
    /// every non-ASCII name would come back nil.
    ///
    /// libarchive's zip and cpio readers call mktime for every entry; without TZ, glibc stats
    /// /etc/localtime on each call (a zip of 30,000 members: 30,000 stat calls, a third of a
    /// 5% sample's time). TZ=:/etc/localtime is the same zone, read once.
    static let useUTF8Locale: Void = {
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "") }
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
    }()
}
