import VerifyProtocol

/// A new archive much smaller than the one before it. A backup of a source that was not mounted,
/// or of a database dump cut short, verifies perfectly against the manifest written with it:
/// only its size gives it away (borgmatic's `count_tolerance_percentage` idea). Compares the
/// archive file's size and, where both manifests were read, their entry counts.
public struct ArchiveShrink: Sendable, Equatable {
    /// What is known of one archive.
    public struct Measure: Sendable, Equatable {
        public var name: String
        public var bytes: Int64
        /// Entries its manifest lists; nil when no manifest was read.
        public var entries: Int?

        public init(name: String, bytes: Int64, entries: Int?) {
            self.name = name
            self.bytes = bytes
            self.entries = entries
        }
    }

    /// How much smaller (0...1) the archive is, by bytes and by entries.
    public var bytesDrop: Double
    public var entriesDrop: Double?

    /// The shrink of `current` from `previous`, when either measure fell by more than
    /// `tolerance` (a fraction: 0.3 is "more than 30% smaller"); nil otherwise.
    public static func check(_ current: Measure, previous: Measure, tolerance: Double) -> ArchiveShrink? {
        func drop(_ now: Int64, _ before: Int64) -> Double {
            before > 0 ? max(0, 1 - Double(max(now, 0)) / Double(before)) : 0
        }
        let bytesDrop = drop(current.bytes, previous.bytes)
        var entriesDrop: Double?
        if let now = current.entries, let before = previous.entries { entriesDrop = drop(Int64(now), Int64(before)) }
        guard bytesDrop > tolerance || (entriesDrop ?? 0) > tolerance else { return nil }
        return ArchiveShrink(bytesDrop: bytesDrop, entriesDrop: entriesDrop)
    }

    /// One line for the alert, e.g. "db-2.tar.gz is 97% smaller than db-1.tar.gz: 1.2 MiB (was
    /// 41.0 MiB), 40 entries (was 12000)".
    public static func summary(_ current: Measure, previous: Measure, shrink: ArchiveShrink) -> String {
        let percent = Int((max(shrink.bytesDrop, shrink.entriesDrop ?? 0) * 100).rounded(.down))
        var text = "\(current.name) is \(percent)% smaller than \(previous.name): "
            + "\(NumberText.bytes(current.bytes)) (was \(NumberText.bytes(previous.bytes)))"
        if let now = current.entries, let before = previous.entries {
            text += ", \(now) \(now == 1 ? "entry" : "entries") (was \(before))"
        }
        return text
    }
}
