import ArchiveReading

/// The keys of an encrypted archive as the daemon hands them to a worker: the content of the
/// key files (read by the daemon, which may read them; the sealed worker may not), sent in the
/// request on the worker's stdin pipe, never on its command line or in its environment.
/// Never logged: `WorkerRequest` is written only to that pipe.
public struct WorkerKeys: Codable, Sendable, Equatable {
    /// The age identity file's bytes, and its path for messages.
    public var ageIdentity: [UInt8]?
    public var ageIdentityPath: String?
    /// The age passphrase file's bytes, and its path.
    public var agePassphrase: [UInt8]?
    public var agePassphrasePath: String?
    public var gpgHome: String?
    /// Why the keys configured could not be read (refused, unreadable): the run ends with this
    /// error if, and only if, the archive turns out to be encrypted.
    public var problem: String?

    public init() {}

    /// Reads the files `paths` names (each checked by `KeyFile`); nil when it names none.
    public static func load(ageIdentity: String?, agePassphrase: String?, gpgHome: String?) -> WorkerKeys? {
        guard ageIdentity != nil || agePassphrase != nil || gpgHome != nil else { return nil }
        var keys = WorkerKeys()
        do {
            if let ageIdentity {
                keys.ageIdentity = try KeyFile.read(ageIdentity, what: "age_identity")
                keys.ageIdentityPath = ageIdentity
            }
            if let agePassphrase {
                keys.agePassphrase = try KeyFile.read(agePassphrase, what: "age_passphrase")
                keys.agePassphrasePath = agePassphrase
            }
            if let gpgHome { keys.gpgHome = try KeyFile.checkFolder(gpgHome, what: "gpg_home") }
        } catch {
            return WorkerKeys(problem: error.message)
        }
        return keys
    }

    private init(problem: String) { self.problem = problem }

    /// The engine's keys, or the problem with them.
    func decryptionKeys() -> DecryptionKeys {
        var keys = DecryptionKeys(gpgHome: gpgHome)
        keys.problem = problem
        do {
            if let ageIdentity, let path = ageIdentityPath { try keys.age.addIdentities(file: ageIdentity, source: "age_identity \(path)") }
            if let agePassphrase, let path = agePassphrasePath { try keys.age.setPassphrase(file: agePassphrase, source: "age_passphrase \(path)") }
        } catch {
            keys.problem = error.message
        }
        return keys
    }
}
