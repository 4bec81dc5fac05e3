import ArgumentParser

/// `verifyctl manifest`: make manifests.
struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Make manifests (at backup time).",
        subcommands: [ManifestCreateCommand.self]
    )
}
