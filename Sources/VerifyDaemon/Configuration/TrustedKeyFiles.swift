import ArchiveReading
import VerifyCore

/// The `trusted_keys` files, read when the configuration is loaded (start, reload,
/// `--check-config`), so that a key others may write, or a file that is no key, is refused with
/// its reason before any run. Each worker reads them again for its run.
enum TrustedKeyFiles {
    static func validate(_ configuration: DaemonConfiguration, file: String) throws(ConfigurationError) {
        for path in configuration.trustedKeys {
            do {
                _ = try ManifestSignatureCheck.loadTrustedKey(path)
            } catch {
                throw ConfigurationError(file: file, key: "trusted_keys", message: "\(error)")
            }
        }
    }
}
