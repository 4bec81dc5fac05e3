import VerifyCore

/// The daemon's settings and its destinations, as read from `verifyd.toml`.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Where the history database lives.
    public var stateDirectory: String = "/var/lib/verifyd"
    /// The control socket.
    public var socketPath: String = "/run/verifyd/verifyd.sock"
    /// Where the Prometheus metrics are written (node_exporter's textfile collector); nil: not
    /// at all. Default: `metrics.prom` beside the control socket.
    public var metricsFile: String? = "/run/verifyd/metrics.prom"
    /// The group that owns the control socket (mode 0660); nil keeps the daemon's group.
    public var socketGroup: String?
    /// Members of this group may ask for mutating requests (verify now, reload); root always may.
    public var adminGroup: String?
    /// How many archives are verified at once.
    public var concurrency: Int = 1
    /// Address-space limit of one worker process, in bytes.
    public var workerMemoryLimit: Int64 = 4 << 30  // MemoryLimit.defaultBytes, the default of `verifyctl check --memory-limit`
    /// Seconds without parser progress after which a worker declares the archive stalled.
    public var stallTimeout: Double = 30
    /// CPU niceness of the workers (0 to 19): backups on the same host come first.
    public var workerNice: Int = 10
    /// I/O scheduling class of the workers.
    public var workerIOClass: WorkerIOClass = .bestEffort
    /// The gzip decoder of the workers.
    public var inflater: GzipBackend = .isal
    /// Threads of one worker: 2 hashes on a second core while the first reads and inflates.
    public var workerThreads: Int = 2
    /// Longest a single worker may run, in seconds; 0 means no limit.
    public var workerTimeout: Double = 0
    /// Bytes a restore leaves free on the file system of its scratch folder (in the state
    /// directory); nil: 5% of that file system, at most 1 GiB.
    public var restoreReserve: Int64?
    public var destinations: [DestinationConfiguration] = []
    /// Unix sockets that get every alert pushed as one JSON line (`[[alert_socket]]`).
    public var alertSockets: [AlertSocketConfiguration] = []
    /// The hook runner's settings (`[hooks]`), read by `verifyd-hooks`.
    public var hooks = HookConfiguration()
    /// minisign or signify public key files whose signatures of manifests are trusted.
    public var trustedKeys: [String] = []
    /// Keys of encrypted archives, for every destination that names none of its own.
    public var decryption = DecryptionKeyPaths()

    public init() {}

    /// The destination with this name.
    public func destination(named name: String) -> DestinationConfiguration? {
        destinations.first { $0.name == name }
    }
}

/// One backup destination: a folder where archives land, and how to verify them.
public struct DestinationConfiguration: Sendable, Equatable {
    public var name: String
    public var path: String
    /// Glob patterns for archive file names (or paths relative to `path` when they hold a `/`).
    public var archives: [String] = DestinationConfiguration.defaultArchivePatterns
    /// Where an archive's manifest is.
    public var manifest: ManifestLocation = .file(template: "{archive}.sha256")
    /// The manifest format; nil detects it.
    public var manifestFormat: ManifestFormat?
    /// `raw`: every file is one stream (a dump, an image), compressed or not (`ArchiveFormatPolicy`).
    public var format: ArchiveFormatPolicy = .auto
    /// A `sha256sum`-format file with the digest of the whole archive, as a path template.
    public var archiveDigest: String?
    public var stripComponents: Int = 0
    /// Entries the manifest does not list are failures.
    public var strict: Bool = false
    public var sample: SamplePolicy = .all
    /// Seconds between verifications of the same archive.
    public var interval: Double = 7 * 86400
    /// Seconds an archive's size and mtime must stay unchanged before it is verified.
    public var settle: Double = 120
    /// Seconds between scans of the folder (inotify only wakes a scan early).
    public var pollInterval: Double = 60
    /// The newest archive must be younger than this many seconds; nil turns freshness off.
    public var maxAge: Double?
    /// `stream` reads entries from the archive; `restore` also extracts them into a scratch folder
    /// and checks them from disk (what proves a restore would work).
    public var mode: VerificationMode = .stream
    /// Most bytes a restore may write (nil: from the manifest's sizes).
    public var restoreLimit: Int64?
    /// A run stops cleanly after this many seconds, or this many bytes of the archive read; the
    /// next run continues with what is left.
    public var maxDuration: Double?
    public var maxBytes: Int64?
    /// Every entry of every kept archive must be read back within this many seconds; nil: no goal.
    public var coverageWindow: Double?
    /// A new archive smaller than the previous one by more than this fraction (0.3: 30%), in
    /// bytes or in manifest entries, raises `archive_shrank`; nil: never.
    public var shrinkAlert: Double?
    /// How many of the newest archives keep being verified on `interval`.
    public var keepVerifying: Int = 3
    /// Runs older than this many seconds are pruned from history.
    public var historyRetention: Double = 180 * 86400
    /// A symlink whose name matches the patterns is verified as the regular file it points to,
    /// when that file is inside the destination. Symlinked folders are never followed.
    public var followSymlinks: Bool = false
    /// A scan stops after this many folder entries (files, folders, links) and raises `scan_limit`.
    public var maxScanEntries: Int = 100_000
    /// An archive modified more than this many seconds in the future raises `future_mtime` and is
    /// ordered by when verifyd first saw it.
    public var futureMtimeTolerance: Double = 3600
    /// Whether manifests must be signed (`manifest_signature`); nil: `if-present` when
    /// `trusted_keys` lists keys, else `off` (`signaturePolicy(trustedKeys:)`).
    public var manifestSignature: ManifestSignaturePolicy?
    /// Keys of encrypted archives in this destination (each missing one: the global one).
    public var decryption = DecryptionKeyPaths()

    /// The signature policy in force, given the daemon's trusted keys.
    public func signaturePolicy(trustedKeys: [String]) -> ManifestSignaturePolicy {
        manifestSignature ?? (trustedKeys.isEmpty ? .off : .ifPresent)
    }

    public static let defaultArchivePatterns = [
        "*.tar", "*.tar.gz", "*.tgz", "*.tar.bz2", "*.tbz2", "*.tar.xz", "*.txz", "*.tar.zst",
        "*.tar.lz4", "*.tar.lz", "*.zip", "*.7z", "*.cpio", "*.cpio.gz",
    ]

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// Where the manifest of an archive is found.
public enum ManifestLocation: Sendable, Equatable {
    /// A file beside the archive, named by a template such as `{archive}.sha256`.
    case file(template: String)
    /// An entry inside the archive itself (read on a first pass).
    case inArchive(entry: String)
    /// No manifest: every entry is read to prove the archive is readable (integrity only).
    case none
}

/// `[hooks]`: how `verifyd-hooks` runs hook scripts for alerts.
public struct HookConfiguration: Sendable, Equatable {
    /// Executables named `KIND-*` or `all-*` run for each alert of that kind.
    public var directory: String = "/etc/verifyd/hooks.d"
    /// Where the hook runner keeps its cursor (the last alert handled) and flood-control state.
    public var stateDirectory: String = "/var/lib/verifyd-hooks"
    /// A hook still running after this many seconds gets SIGTERM, then SIGKILL 5 s later.
    public var timeout: Double = 60
    /// Hooks of one alert that run at once.
    public var concurrency: Int = 4
    /// A repeated alert (same destination and kind) goes to the hooks again only after this
    /// long, then after twice as long, and so on (at most `maxRepeatInterval`).
    public var repeatInterval: Double = 3600
    public var maxRepeatInterval: Double = 86400
    /// The system user `verifyd-hooks` runs as: its subscription takes the control socket's
    /// slots kept for root and `admin_group`, so greedy peers cannot keep alerts from the hooks.
    public var user: String = "verifyd-hooks"
    /// Alertmanagers every alert is posted to (`[[alertmanager]]`).
    public var alertmanagers: [AlertmanagerConfiguration] = []

    public init() {}
}

/// A local tool's Unix socket that gets every alert pushed to it.
public struct AlertSocketConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case stream, datagram
    }

    public var path: String
    public var kind: Kind = .stream

    public init(path: String, kind: Kind = .stream) {
        self.path = path
        self.kind = kind
    }
}

/// How a destination's archives are verified.
public enum VerificationMode: String, Sendable, Equatable {
    case stream, restore
}
