import Foundation

/// OpenPGP files made by the real `gpg` with a keyring of its own (a temporary `--homedir`, an
/// ed25519/cv25519 key without passphrase). The keyring's agent is stopped when it goes.
public final class GpgFixtures: @unchecked Sendable {
    public let home: String
    public static let recipient = "test@verifyd.invalid"

    public init(in folder: String) throws {
        home = folder + "/gnupg"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Tool.must([
            "gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
            "--quick-gen-key", "verifyd test <\(Self.recipient)>", "future-default", "default", "never",
        ])
    }

    deinit {
        _ = try? Tool.run(["gpgconf", "--homedir", home, "--kill", "all"])
    }

    /// `gpg --encrypt` of `input` to the keyring's key, armored with `armor`.
    @discardableResult
    public func encrypt(_ input: String, to output: String, armor: Bool = false) throws -> String {
        try Tool.must(["gpg", "--homedir", home, "--batch", "--trust-model", "always", "-r", Self.recipient] + (armor ? ["-a"] : []) + ["-o", output, "-e", input])
        return output
    }

    /// Whether the real `gpg --decrypt` decrypts `file` (status 0).
    public func gpgDecrypts(_ file: String, home: String? = nil) throws -> Bool {
        try Tool.run(["gpg", "--homedir", home ?? self.home, "--batch", "--pinentry-mode", "loopback", "-o", "/dev/null", "-d", file]).status == 0
    }
}
