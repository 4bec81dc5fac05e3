import Testing
@testable import VerifyCore

/// The packed entries give back exactly what was put in, find every name, and keep a large
/// list's parse exact (reserved room estimated from the text must never change the result).
@Suite struct ManifestEntriesTests {
    private func digest(_ algorithm: DigestAlgorithm, _ seed: UInt8) -> Digest {
        Digest(algorithm: algorithm, bytes: (0..<algorithm.byteLength).map { UInt8(truncatingIfNeeded: Int($0) &* 31 &+ Int(seed)) })
    }

    private func sampleEntries() -> [ManifestEntry] {
        [
            ManifestEntry(path: EntryPath("plain"), digests: [digest(.sha256, 1)], line: 1),
            ManifestEntry(path: EntryPath("two/digests"), digests: [digest(.md5, 2), digest(.sha512, 3)], line: 2),
            ManifestEntry(path: EntryPath("no digest"), type: .directory, line: 3),
            ManifestEntry(
                path: EntryPath(unnormalized: [0xff, 0x41]), type: .symlink, size: 0, linkTarget: [0x2e, 0x2e],
                mode: 0o755, uid: 0, gid: 5, userName: "root", groupName: "tty", mtime: -3, line: 4),
            ManifestEntry(path: EntryPath("é/naïve"), type: .file, size: 1 << 40, digests: [digest(.sha1, 4)], line: 5),
            ManifestEntry(path: EntryPath(""), digests: [digest(.sha384, 5)], line: 6),
        ]
    }

    @Test func givesBackEveryFieldOfEveryEntry() {
        let entries = sampleEntries()
        let packed = ManifestEntries(entries)
        #expect(Array(packed) == entries)
        for (index, entry) in entries.enumerated() {
            #expect(packed.path(at: index) == entry.path)
            #expect(packed.digests(at: index) == entry.digests)
            #expect(packed.digestAlgorithms(at: index) == entry.digests.map(\.algorithm))
            #expect(packed.needsContent(at: index) == entry.needsContent)
            #expect(packed.size(at: index) == entry.size)
            #expect(packed.type(at: index) == entry.type)
            #expect(packed.line(at: index) == entry.line)
            #expect(packed.firstIndex(of: entry.path) == index)
        }
        #expect(packed.firstIndex(of: EntryPath("plai")) == nil)
        #expect(packed.firstIndex(of: EntryPath("plainx")) == nil)
        #expect(ManifestEntries().firstIndex(of: EntryPath("a")) == nil)
        #expect(packed.totalSize == nil)
    }

    @Test func findsEveryOneOfManyNamesAndNoOther() {
        var packed = ManifestEntries()
        for n in 0..<50_000 { packed.append(ManifestEntry(path: EntryPath("dir\(n % 97)/file-\(n)"), line: n + 1)) }
        for n in stride(from: 0, to: 50_000, by: 7) {
            #expect(packed.firstIndex(of: EntryPath("dir\(n % 97)/file-\(n)")) == n)
            #expect(packed.firstIndex(of: EntryPath("dir\(n % 97)/file-\(n)x")) == nil)
        }
    }

    @Test func aNameListedTwiceFindsTheLaterEntry() {
        let packed = ManifestEntries([
            ManifestEntry(path: EntryPath("a"), size: 1), ManifestEntry(path: EntryPath("b")), ManifestEntry(path: EntryPath("a"), size: 2),
        ])
        #expect(packed.count == 3)
        #expect(packed.firstIndex(of: EntryPath("a")) == 2)
    }

    /// A long list takes the reserving path of the parser; mixed algorithms, an escaped first
    /// line and long names make the estimate wrong in both directions.
    @Test(arguments: [false, true]) func aLongChecksumListParsesExactly(escapedFirst: Bool) throws {
        var text = escapedFirst ? "\\\(digest(.md5, 0).hex)  first\\nline\n" : ""
        var expected: [(String, Digest)] = escapedFirst ? [("first\nline", digest(.md5, 0))] : []
        for n in 0..<5_000 {
            let algorithm: DigestAlgorithm = n % 3 == 0 ? .sha512 : .sha256
            let name = n % 11 == 0 ? String(repeating: "long/", count: 40) + "\(n)" : "f\(n)"
            text += "\(digest(algorithm, UInt8(n % 251)).hex)  \(name)\n"
            expected.append((name, digest(algorithm, UInt8(n % 251))))
        }
        let manifest = try Manifest.parse(Array(text.utf8), file: "M")
        #expect(manifest.entries.count == expected.count)
        for (index, (name, digest)) in expected.enumerated() {
            #expect(manifest.entries[index].path.description == name)
            #expect(manifest.entries[index].digests == [digest])
        }
        #expect(manifest.algorithms == (escapedFirst ? [.md5, .sha256, .sha512] : [.sha256, .sha512]))
    }
}
