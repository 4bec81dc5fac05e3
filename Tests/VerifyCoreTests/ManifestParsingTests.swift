import Testing
@testable import VerifyCore

private func parse(_ text: String, _ format: ManifestFormat? = nil) throws -> Manifest {
    try Manifest.parse(Array(text.utf8), format: format, file: "M")
}

private let sha = String(repeating: "ab", count: 32)
private let md5 = String(repeating: "cd", count: 16)

@Suite struct ChecksumListTests {
    /// b2sum's 128-digit digests are BLAKE2b in a list named like b2sum's or with --format
    /// b2sum, and in BSD tag lines; a plain list otherwise reads them as SHA-512.
    @Test func b2sumListsAndTags() throws {
        let digest = String(repeating: "0f", count: 64)
        let line = "\(digest)  a/file\n"
        for name in ["B2SUMS", "backup.b2", "x/backup.tar.blake2b", "list.b2sum"] {
            let manifest = try Manifest.parse(Array(line.utf8), file: name)
            #expect(manifest.format == .b2sum, "\(name)")
            #expect(manifest.entries.first?.digests.first?.algorithm == .blake2b, "\(name)")
        }
        #expect(try parse(line).entries.first?.digests.first?.algorithm == .sha512)
        #expect(try parse(line, .b2sum).entries.first?.digests.first?.algorithm == .blake2b)
        let tag = try parse("BLAKE2b (a/file) = \(digest)\n")
        #expect(tag.format == .bsd && tag.entries.first?.digests.first?.algorithm == .blake2b)
        #expect(throws: ManifestError.self) { try parse("\(sha)  a/file\n", .b2sum) }
        do {
            _ = try parse("\(sha)  a/file\n", .b2sum)
        } catch {
            #expect("\(error)".contains("a b2sum digest has 128 characters"), "\(error)")
        }
    }

    @Test func gnuTextAndBinaryModes() throws {
        let manifest = try parse("\(sha)  ./etc/hosts\n\(sha) *bin/ls\n\(md5)  /abs/name\n")
        #expect(manifest.format == .sha256sum)
        #expect(manifest.entries.map(\.path.description) == ["etc/hosts", "bin/ls", "abs/name"])
        #expect(manifest.entries[2].digests[0].algorithm == .md5)
    }

    @Test func escapedNames() throws {
        let manifest = try parse("\\\(sha)  back\\\\slash\\nnewline\n")
        #expect(manifest.entries[0].path.bytes == Array("back\\slash\nnewline".utf8))
    }

    @Test func namesWithSpacesAndCRLF() throws {
        let manifest = try parse("\(sha)  a name  with spaces \r\n")
        #expect(manifest.entries[0].path.description == "a name  with spaces ")
    }

    @Test func bsdTags() throws {
        let manifest = try parse("SHA256 (dir/a (1).txt) = \(sha)\nMD5 (b) = \(md5)\n\\SHA256 (c\\nd) = \(sha)\n")
        #expect(manifest.format == .bsd)
        #expect(manifest.entries.map(\.path.bytes) == [Array("dir/a (1).txt".utf8), Array("b".utf8), Array("c\nd".utf8)])
    }

    @Test(arguments: [
        ("\(sha)  ok\nzz  bad\n", 2, "matches no algorithm"),
        ("\(sha)  ok\n\(String(repeating: "g", count: 64))  bad\n", 2, "not hexadecimal"),
        ("\(sha)\n", 1, "expected"),
        ("\\\(sha)  bad\\q\n", 1, "unknown escape"),
        ("\(sha)  a\n\(String(repeating: "11", count: 32))  a\n", 2, "listed again"),
    ])
    func malformedLinesNameTheLine(text: String, line: Int, words: String) throws {
        let error = #expect(throws: ManifestError.self) { try parse(text, .sha256sum) }
        #expect(error?.line == line)
        #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
        #expect(error?.description.hasPrefix("M:\(line):") == true)
    }

    /// Plain lines are added without building an entry first; what they give is the same as
    /// the long way (escaped lines) gives for the same name and digest.
    @Test func plainLinesGiveWhatEscapedLinesGive() throws {
        let upper = sha.uppercased()
        let plain = try parse("\(upper)\tx/tab\n\(sha)  ./dot/\n\(md5) *star\n\(sha)  //\n")
        let escaped = try parse("\\\(upper)\tx/tab\n\\\(sha)  ./dot/\n\\\(md5) *star\n\\\(sha)  //\n")
        #expect(plain.entries.map(\.path.bytes) == [Array("x/tab".utf8), Array("dot".utf8), Array("star".utf8), []])
        #expect(Array(plain.entries) == Array(escaped.entries))
        #expect(plain.entries[0].digests == [Digest(algorithm: .sha256, bytes: Array(repeating: 0xab, count: 32))])
    }

    @Test func exactRepeatsAreMerged() throws {
        #expect(try parse("\(sha)  a\n\(sha)  ./a\n").entries.count == 1)
    }

    @Test func emptyAndUnknownText() {
        #expect(throws: ManifestError.self) { try parse("\n\n") }
        #expect(throws: ManifestError.self) { try parse("hello world\n") }
    }
}

@Suite struct MtreeTests {
    @Test func bsdtarStyleWithSetAndEscapes() throws {
        let text = """
            #mtree
            /set type=file uid=0 gid=0 mode=644
            . type=dir mode=755
            ./dir type=dir
            ./dir/with\\040space size=3 sha256digest=\(sha) time=1700000000.5 uname=root
            ./link type=link link=dir/with\\040space mode=777
            /unset uid
            ./x\\134y size=0 \\
                md5digest=\(md5)
            """
        let manifest = try parse(text)
        #expect(manifest.format == .mtree)
        let byName = Dictionary(uniqueKeysWithValues: manifest.entries.map { ($0.path.description, $0) })
        #expect(byName["dir"]?.type == .directory)
        let file = try #require(byName["dir/with space"])
        #expect(file.size == 3 && file.mode == 0o644 && file.uid == 0 && file.mtime == 1_700_000_000 && file.userName == "root")
        #expect(byName["link"]?.linkTarget == Array("dir/with space".utf8))
        #expect(byName["x\\y"]?.uid == nil)
        #expect(byName["x\\y"]?.digests.first?.algorithm == .md5)
    }

    @Test func mtreeCStyleRelativeNames() throws {
        let text = """
            #\t   user: root
            /set type=file uid=0 gid=0 mode=0644 nlink=1 flags=none
            .               type=dir mode=0755 nlink=3
                a.txt       size=2 sha256=\(sha)
            sub             type=dir mode=0755
                b.txt       size=5 sha256=\(sha)
            ..
                c.txt       size=1 sha256=\(sha)
            ..
            """
        let names = try parse(text).entries.map(\.path.description)
        #expect(names == ["a.txt", "sub", "sub/b.txt", "c.txt"])
    }

    @Test(arguments: [
        ("#mtree\n./a size=x\n", 2, "size=x"),
        ("#mtree\n./a bogus=1\n", 2, "unknown mtree keyword"),
        ("#mtree\n./a type=thing\n", 2, "type=thing"),
        ("#mtree\n./a sha256digest=12\n", 2, "hex digest"),
        ("#mtree\n..\n", 2, "above the top"),
    ])
    func malformed(text: String, line: Int, words: String) {
        let error = #expect(throws: ManifestError.self) { try parse(text) }
        #expect(error?.line == line)
        #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
    }
}

@Suite struct JSONManifestTests {
    @Test func readsEveryField() throws {
        let text = """
            {"format": "verifyd-manifest", "version": 1, "entries": [
              {"path": "a/b", "type": "file", "size": 4, "sha256": "\(sha)", "mode": "0640", "uid": 1, "gid": 2,
               "user": "u", "group": "g", "mtime": 1700000000},
              {"pathHex": "ff41", "type": "symlink", "link": "a/b"}
            ]}
            """
        let manifest = try parse(text)
        #expect(manifest.format == .json)
        #expect(manifest.entries[0].mode == 0o640 && manifest.entries[0].groupName == "g")
        #expect(manifest.entries[1].path.bytes == [0xff, 0x41])
    }

    @Test(arguments: [
        ("{\"entries\": [\n{\"path\": \"a\"},\n{\"path\": \"b\", \"size\": -1}]}", 3, "size"),
        ("{\"entries\": [\n{\"path\": \"a\", \"colour\": 1}]}", 2, "unknown key"),
        ("{\"entries\": [\n{\"path\": \"a\",\n \"sha256\": 5 ,}]}", 3, "invalid JSON"),
        ("{\"version\": 2, \"entries\": []}", 1, "unsupported manifest version"),
    ])
    func malformed(text: String, line: Int, words: String) {
        let error = #expect(throws: ManifestError.self) { try parse(text) }
        #expect(error?.line == line, "\(error?.description ?? "")")
        #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
    }
}

@Suite struct ManifestWriterTests {
    @Test(arguments: ManifestFormat.allCases)
    func roundTrip(format: ManifestFormat) throws {
        // b2sum lists hold BLAKE2b only, and are told from sha256sum lists by their file name.
        let algorithm: DigestAlgorithm = format == .b2sum ? .blake2b : .sha256
        let digest = try #require(Digest(algorithm: algorithm, hex: format == .b2sum ? sha + sha : sha))
        var entries = [
            ManifestEntry(path: EntryPath("dir/a b"), type: .file, size: 3, digests: [digest], mode: 0o644, uid: 0, gid: 0, mtime: 5),
            ManifestEntry(path: EntryPath(normalizing: Array("back\\slash\nnew#=line".utf8) + [0xff]), type: .file, size: 1, digests: [digest]),
        ]
        if format == .mtree || format == .json {
            entries.append(ManifestEntry(path: EntryPath("dir"), type: .directory, mode: 0o755))
            entries.append(ManifestEntry(path: EntryPath("l"), type: .symlink, linkTarget: Array("dir/a b".utf8)))
        }
        let text = ManifestWriter(format: format, algorithm: algorithm).write(entries)
        let parsed = try Manifest.parse(text, format: nil, file: format == .b2sum ? "B2SUMS" : "out")
        #expect(parsed.format == format)
        let byPath = Dictionary(uniqueKeysWithValues: parsed.entries.map { ($0.path, $0) })
        for entry in entries {
            let back = try #require(byPath[entry.path], "\(entry.path)")
            #expect(back.digests == entry.digests)
            if format == .mtree || format == .json {
                #expect(back.size == entry.size && back.mode == entry.mode && back.linkTarget == entry.linkTarget)
            }
        }
    }
}
