/// The I/O scheduling class of the workers (`worker_io_class`).
public enum WorkerIOClass: String, Sendable, Equatable, Codable, CaseIterable {
    /// The lowest level of the normal class.
    case bestEffort = "best-effort"
    /// Only when nobody else uses the disk.
    case idle

    /// The kernel's `IOPRIO_CLASS_*` number (ioprio_set).
    public var kernelClass: Int32 {
        switch self {
        case .bestEffort: 2
        case .idle: 3
        }
    }
}
