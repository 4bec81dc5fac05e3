/// The keys a run may decrypt an archive with. They reach the worker over its pipe (never its
/// command line or environment) and are never written to history, logs or alerts.
public struct DecryptionKeys: Sendable {
    /// age identities and passphrase.
    public var age = AgeKeys()
    /// The OpenPGP keyring directory for `gpg --homedir` (its secret keys without passphrase).
    public var gpgHome: String?
    /// Why the keys configured could not be read: the error of a run over an encrypted archive
    /// (a plain archive is read as if no key were configured).
    public var problem: String?
    /// gpg already started on this archive (by the worker, before it sealed itself).
    public var gpgStarted: GpgDecryption?

    public init(age: AgeKeys = AgeKeys(), gpgHome: String? = nil) {
        self.age = age
        self.gpgHome = gpgHome
    }

    /// Takes the gpg the worker started before its seal (or why it could not start it) for
    /// one pass over the archive: each pass needs its own, started on the file's first byte.
    public mutating func use(_ started: Result<GpgDecryption, DecryptionError>?) {
        switch started {
        case .success(let gpg): gpgStarted = gpg
        case .failure(let error): problem = error.message
        case nil: break
        }
    }
}

extension DecryptionKeys {
    /// Reads the key files named (each checked by `KeyFile`); nil when none is named. `names`
    /// says what each is called in messages: a configuration key or a command-line option.
    public static func load(
        ageIdentity: String?, agePassphrase: String?, gpgHome: String?,
        names: (identity: String, passphrase: String, gpgHome: String)
    ) throws(DecryptionError) -> DecryptionKeys? {
        guard ageIdentity != nil || agePassphrase != nil || gpgHome != nil else { return nil }
        var keys = DecryptionKeys()
        if let ageIdentity {
            try keys.age.addIdentities(file: KeyFile.read(ageIdentity, what: names.identity), source: "\(names.identity) \(ageIdentity)")
        }
        if let agePassphrase {
            try keys.age.setPassphrase(file: KeyFile.read(agePassphrase, what: names.passphrase), source: "\(names.passphrase) \(agePassphrase)")
        }
        if let gpgHome { keys.gpgHome = try KeyFile.checkFolder(gpgHome, what: names.gpgHome) }
        return keys
    }
}
