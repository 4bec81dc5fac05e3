import Foundation

/// age files made by the real `age` and `age-keygen` (Debian's age 1.1), for the envelope tests.
public struct AgeFixtures {
    public let folder: String
    /// Identity files (mode 600, as age-keygen writes them) and their recipients.
    public let identity: String
    public let recipient: String
    public let otherIdentity: String
    public let otherRecipient: String

    public init(in folder: String) throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        identity = folder + "/key.txt"
        otherIdentity = folder + "/other-key.txt"
        try Tool.must(["age-keygen", "-o", identity])
        try Tool.must(["age-keygen", "-o", otherIdentity])
        recipient = try Tool.must(["age-keygen", "-y", identity]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        otherRecipient = try Tool.must(["age-keygen", "-y", otherIdentity]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `age -r ... -o output input`, armored with `armor`.
    @discardableResult
    public func encrypt(_ input: String, to output: String, recipients: [String]? = nil, armor: Bool = false) throws -> String {
        let to = (recipients ?? [recipient]).flatMap { ["-r", $0] }
        try Tool.must(["age"] + (armor ? ["-a"] : []) + to + ["-o", output, input])
        return output
    }

    /// `age -p` (scrypt, work factor 18), the passphrase typed on a pseudo-terminal as age
    /// reads it only from one; the passphrase is also written to `output + ".pass"` (mode 600).
    @discardableResult
    public func encrypt(_ input: String, to output: String, passphrase: String, armor: Bool = false) throws -> String {
        try Tool.must(["python3", "-c", """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp("age", ["age", "-p", "-o", sys.argv[2]] + (["-a"] if sys.argv[4] == "1" else []) + [sys.argv[3]])
            out, sent = b'', 0
            while True:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                out += data
                while sent < 2 and out.lower().count(b'passphrase') > sent:
                    os.write(fd, sys.argv[1].encode() + b'\\n')
                    sent += 1
            _, status = os.waitpid(pid, 0)
            sys.exit(os.waitstatus_to_exitcode(status))
            """, passphrase, output, input, armor ? "1" : "0"])
        let passFile = output + ".pass"
        FileManager.default.createFile(atPath: passFile, contents: Data((passphrase + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return output
    }

    /// Whether the real `age -d` decrypts `file` with `identity` (status 0).
    public func ageDecrypts(_ file: String, identity: String? = nil) throws -> Bool {
        try Tool.run(["age", "-d", "-i", identity ?? self.identity, "-o", "/dev/null", file]).status == 0
    }
}
