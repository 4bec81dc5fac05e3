/// Where the keys of encrypted archives are (`age_identity`, `age_passphrase`, `gpg_home`),
/// globally or per destination (a destination's own replace the global ones, key by key).
/// Only paths: the files are read, and their owner and mode checked, when a run needs them.
public struct DecryptionKeyPaths: Sendable, Equatable {
    /// An age identity file (`AGE-SECRET-KEY-1...` lines).
    public var ageIdentity: String?
    /// A file holding the passphrase of `age -p` files.
    public var agePassphrase: String?
    /// An OpenPGP keyring folder for `gpg --homedir`.
    public var gpgHome: String?

    public init(ageIdentity: String? = nil, agePassphrase: String? = nil, gpgHome: String? = nil) {
        self.ageIdentity = ageIdentity
        self.agePassphrase = agePassphrase
        self.gpgHome = gpgHome
    }

    /// These paths, each missing one taken from `global`.
    public func over(_ global: DecryptionKeyPaths) -> DecryptionKeyPaths {
        DecryptionKeyPaths(
            ageIdentity: ageIdentity ?? global.ageIdentity, agePassphrase: agePassphrase ?? global.agePassphrase,
            gpgHome: gpgHome ?? global.gpgHome)
    }
}

extension ConfigurationLoader {
    /// `age_identity`, `age_passphrase` and `gpg_home` of the table `reader` reads: absolute paths.
    static func readDecryptionKeys(_ reader: inout TableReader) throws(ConfigurationError) -> DecryptionKeyPaths {
        var paths = DecryptionKeyPaths()
        if let v = try reader.string("age_identity") { paths.ageIdentity = try reader.absolutePath(v, key: "age_identity") }
        if let v = try reader.string("age_passphrase") { paths.agePassphrase = try reader.absolutePath(v, key: "age_passphrase") }
        if let v = try reader.string("gpg_home") { paths.gpgHome = try reader.absolutePath(v, key: "gpg_home") }
        return paths
    }
}
