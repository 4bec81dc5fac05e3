import Crypto
import Testing
@testable import VerifyCore

/// Issue 18 §1: PostgreSQL's backup_manifest, CRC-32C and the split of a base backup over its tars.
@Suite struct PgBackupManifestTests {
    /// A manifest as pg_basebackup 15 writes it, with its checksum computed here.
    static func manifest(_ files: [String], version: Int = 1) -> [UInt8] {
        var text = "{ \"PostgreSQL-Backup-Manifest-Version\": \(version),\n\"Files\": [\n" + files.joined(separator: ",\n") + "\n],\n"
        text += "\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/2000138\" }\n],\n"
        let checksum = Hex.encode(SHA256.hash(data: Array(text.utf8)))
        return Array((text + "\"Manifest-Checksum\": \"\(checksum)\"}\n").utf8)
    }

    static let pgVersion = "{ \"Path\": \"PG_VERSION\", \"Size\": 3, \"Last-Modified\": \"2026-12-07 19:06:11 GMT\", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"8a744722\" }"

    @Test func crc32cKnownValues() {
        var crc = CRC32C()
        Array("123456789".utf8).withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xE306_9283)
        // PostgreSQL's manifest: PG_VERSION "15\n" is listed as 8a744722 (the value little-endian).
        var hasher = ContentHasher(algorithms: [.crc32c])
        Array("15\n".utf8).withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finalize() == [Digest(algorithm: .crc32c, hex: "8a744722")!])
        #expect(ContentHasher(algorithms: [.crc32c]).finalize()[0].hex == "00000000")
    }

    @Test func readsFilesAndDetectsTheFormat() throws {
        let text = Self.manifest([
            Self.pgVersion,
            "{ \"Encoded-Path\": \"ff41\", \"Size\": 0, \"Last-Modified\": \"x\", \"Checksum-Algorithm\": \"SHA256\", \"Checksum\": \"\(String(repeating: "e3", count: 32))\" }",
            "{ \"Path\": \"global/pg_control\", \"Size\": 8192, \"Last-Modified\": \"x\" }",
        ])
        let manifest = try Manifest.parse(text, file: "backup_manifest")
        #expect(manifest.format == .pgBackupManifest)
        #expect(manifest.entries.count == 3)
        #expect(manifest.entries[0].size == 3 && manifest.entries[0].digests[0].algorithm == .crc32c && manifest.entries[0].type == .file)
        #expect(manifest.entries[1].path.bytes == [0xff, 0x41] && manifest.entries[1].digests[0].algorithm == .sha256)
        #expect(manifest.entries[2].digests.isEmpty && manifest.entries[2].size == 8192)
        #expect(try Manifest.parse(Self.manifest([Self.pgVersion], version: 2), file: "m").entries.count == 1)
    }

    @Test func anEditedManifestFailsItsOwnChecksumFirst() {
        var text = Self.manifest([Self.pgVersion])
        let at = text.firstIndex(of: UInt8(ascii: "3"))!  // "Size": 3 -> 4
        text[at] = UInt8(ascii: "4")
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(text, file: "backup_manifest") }
        #expect(error?.message.contains("Manifest-Checksum does not match") == true, "\(String(describing: error))")
        #expect(error?.line == 8)
    }

    @Test(arguments: [
        ("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n", "incomplete"),
        ("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": []\n\"Manifest-Checksum\": \"00\"}\n", "does not match"),
    ])
    func truncatedOrForged(text: String, words: String) {
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(Array(text.utf8), file: "backup_manifest") }
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        ("{ \"Path\": \"a\", \"Size\": 1, \"Checksum-Algorithm\": \"SHA224\", \"Checksum\": \"00\" }", "56 hex digits for SHA224"),
        ("{ \"Path\": \"a\", \"Size\": 1, \"Checksum-Algorithm\": \"MD4\", \"Checksum\": \"00\" }", "unknown Checksum-Algorithm \"MD4\""),
        ("{ \"Path\": \"a\", \"Size\": 1, \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"123\" }", "8 hex digits"),
        ("{ \"Path\": \"a\", \"Size\": -1 }", "\"Size\""),
        ("{ \"Size\": 1 }", "\"Path\""),
    ])
    func badFilesNameTheLineAndKey(file: String, words: String) {
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(Self.manifest([Self.pgVersion, file]), file: "backup_manifest") }
        #expect(error?.line == 4 && error?.message.contains("Files[1]") == true, "\(String(describing: error))")
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
    }

    @Test func layoutSplitsTheManifestOverTheTars() throws {
        let files = ["PG_VERSION", "postgresql.auto.conf", "base/5/1259", "pg_tblspc/16384/PG_15_202209061/5/16389", "pg_tblspc/16999/PG_15_202209061/5/1"]
        let manifest = Manifest(format: .pgBackupManifest, entries: files.map { ManifestEntry(path: EntryPath($0), type: .file, size: 0) })
        let layout = try BaseBackupLayout.plan(
            folder: "b", fileNames: ["backup_manifest", "base.tar.zst", "16384.tar.zst", "pg_wal.tar.zst", "notes.txt", "7.tar"], manifest: manifest)
        #expect(layout.parts.map(\.fileName) == ["base.tar.zst", "16384.tar.zst", "7.tar", "pg_wal.tar.zst"])
        #expect(layout.parts[0].manifest?.entries.map(\.path.description) == ["PG_VERSION", "base/5/1259"])
        #expect(layout.parts[1].manifest?.entries.map(\.path.description) == ["PG_15_202209061/5/16389"])
        #expect(layout.parts[1].prefix == "pg_tblspc/16384/")
        #expect(layout.parts[2].manifest?.entries.isEmpty == true)
        #expect(layout.parts[3].manifest == nil)
        #expect(layout.missing.map(\.path.description) == ["pg_tblspc/16999/PG_15_202209061/5/1"])
        // What pg_verifybackup ignores is not checked (postgresql.auto.conf, -R rewrites it).
        #expect(BaseBackupLayout.isIgnored(EntryPath("pg_wal/000000010000000000000002")) && BaseBackupLayout.isIgnored(EntryPath("standby.signal")))
        #expect(!BaseBackupLayout.isIgnored(EntryPath("base/pg_wal")) && !BaseBackupLayout.isIgnored(EntryPath("pg_walx")))
    }

    @Test(arguments: [(["16384.tar"], "no base.tar"), (["base.tar", "base.tar.gz"], "two tars for \"base\"")])
    func layoutRefusals(names: [String], words: String) {
        let manifest = Manifest(format: .pgBackupManifest, entries: [ManifestEntry(path: EntryPath("PG_VERSION"), type: .file, size: 3)])
        let error = #expect(throws: ManifestError.self) { try BaseBackupLayout.plan(folder: "b", fileNames: names, manifest: manifest) }
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
    }

    /// SHA-224 (verifyd's own) against coreutils' `sha224sum`-published vectors and chunking.
    @Test func sha224KnownValuesAndChunks() {
        func digest(_ bytes: [UInt8], chunk: Int) -> String {
            var hasher = ContentHasher(algorithms: [.sha224])
            for start in stride(from: 0, to: bytes.count, by: max(chunk, 1)) {
                Array(bytes[start..<min(start + chunk, bytes.count)]).withUnsafeBytes { hasher.update($0) }
            }
            return hasher.finalize()[0].hex
        }
        #expect(digest([], chunk: 1) == "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f")
        #expect(digest(Array("abc".utf8), chunk: 1) == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        for chunk in [1, 3, 55, 56, 63, 64, 65, 1000] {
            #expect(digest(long, chunk: chunk) == "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525", "chunk \(chunk)")
        }
        #expect(DigestAlgorithm(hexLength: 56) == .sha224)
    }
}
