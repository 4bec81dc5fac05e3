import ArchiveReading
import VerifySystem

/// The `age_identity`, `age_passphrase` and `gpg_home` the configuration names (globally and
/// per destination), checked when it is loaded (start, reload, `--check-config`): a key file
/// open to others, not owned by root or verifyd, unreadable, or not a key is refused with why,
/// naming the key. Each run reads them again (`WorkerKeys`).
enum DecryptionKeyFiles {
    static func validate(_ configuration: DaemonConfiguration, file: String) throws(ConfigurationError) {
        try validate(configuration.decryption, file: file, prefix: "")
        for (index, destination) in configuration.destinations.enumerated() {
            try validate(destination.decryption, file: file, prefix: "destination[\(index + 1)].")
        }
    }

    private static func validate(_ paths: DecryptionKeyPaths, file: String, prefix: String) throws(ConfigurationError) {
        var key = "age_identity"
        do {
            if let path = paths.ageIdentity {
                var age = AgeKeys()
                try age.addIdentities(file: KeyFile.read(path, what: "age_identity"), source: path)
            }
            key = "age_passphrase"
            if let path = paths.agePassphrase {
                var age = AgeKeys()
                try age.setPassphrase(file: KeyFile.read(path, what: "age_passphrase"), source: path)
            }
            key = "gpg_home"
            if let path = paths.gpgHome { _ = try KeyFile.checkFolder(path, what: "gpg_home") }
        } catch {
            throw ConfigurationError(file: file, key: prefix + key, message: error.message)
        }
    }
}
