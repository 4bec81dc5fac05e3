import ArgumentParser

/// The root of `verifyctl`: lists the subcommands.
public struct Verifyctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verifyctl",
        abstract: "Ask verifyd about backups, or verify an archive against its manifest.",
        discussion: """
            status, history, show, verify, reload, alerts, coverage, metrics and report talk to the verifyd daemon over its control \
            socket (--socket, default $VERIFYD_SOCKET or /run/verifyd/verifyd.sock). check and \
            manifest work alone: check reads an archive through libarchive (tar, cpio, zip, 7z, \
            iso9660, ar, xar, rar...; gzip, bzip2, xz, zstd, lz4...) and compares every entry it \
            samples with the manifest written at backup time; manifest create writes one.

            Every command documents its exit statuses in its --help.
            """,
        version: "0.3.0",
        subcommands: [
            StatusCommand.self, HistoryCommand.self, ShowCommand.self, VerifyCommand.self, ReloadCommand.self, AlertsCommand.self, CoverageCommand.self,
            MetricsCommand.self, ReportCommand.self,
            CheckCommand.self, ManifestCommand.self, IndexCommand.self,
        ]
    )

    public init() {}
}
