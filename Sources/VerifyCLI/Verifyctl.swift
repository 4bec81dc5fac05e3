import ArgumentParser

/// The root of `verifyctl`: lists the subcommands.
public struct Verifyctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verifyctl",
        abstract: "Verify backup archives against their manifests.",
        discussion: """
            verifyctl reads archives through libarchive (tar, cpio, zip, 7z, iso9660, ar, xar, \
            rar...; gzip, bzip2, xz, zstd, lz4...), checks every entry it samples against the \
            manifest written at backup time, and reports what it finds.
            """,
        version: "0.3.0",
        subcommands: [
            StatusCommand.self, HistoryCommand.self, ShowCommand.self, VerifyCommand.self, ReloadCommand.self,
            CheckCommand.self, ManifestCommand.self,
        ]
    )

    public init() {}
}
