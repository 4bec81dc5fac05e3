/// Durations in words for people, the same in the daemon's messages and in verifyctl's tables:
/// `45s`, `12m`, `3h 2m`, `2d 4h`.
public enum DurationText {
    public static func words(_ seconds: Double) -> String {
        // Bounded: an archive dated 292 billion years away (tmpfs allows it) must not trap.
        let s = Int(min(max(seconds, 0), 1e15).rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return s % 3600 >= 60 ? "\(s / 3600)h \(s % 3600 / 60)m" : "\(s / 3600)h" }
        return s % 86400 >= 3600 ? "\(s / 86400)d \(s % 86400 / 3600)h" : "\(s / 86400)d"
    }
}
