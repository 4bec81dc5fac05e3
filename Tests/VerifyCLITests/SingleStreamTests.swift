import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Files that are not archives: a compressed single stream is read as one (its compression
/// checked to its end, its content hashed), an uncompressed one fails unless --raw says so.
@Suite struct SingleStreamTests {
    let temp = TemporaryDirectory()

    /// Deterministic bytes that do not compress (compressors store them as they are).
    static func noise(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    func write(_ bytes: [UInt8], _ name: String) -> String {
        let path = temp.file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func sh(_ script: String) throws { try Tool.must(["sh", "-c", script], in: temp.path) }

    @Test(arguments: ["1", "2"])
    func seqThroughGzipPassesIntegrityOnly(threads: String) throws {
        try sh("seq 1 200000 | gzip > seq.gz")
        let run = try CheckRun.run([temp.file("seq.gz"), "--threads", threads])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.json?["format"]?.stringValue == "raw")
        #expect(run.json?["filters"]?.arrayValue?.compactMap(\.stringValue) == ["gzip"])
        #expect(run.json?["singleStream"]?["contentBytes"]?.integerValue == 1_288_895)
        #expect(run.json?["singleStream"]?["checks"]?.arrayValue?.first?.stringValue?.contains("CRC-32") == true)
        #expect(run.json?["singleStream"]?["dump"]?.stringValue == nil)
        #expect(run.failures.isEmpty)
        let text = try Tool.run([Tool.verifyctl, "check", temp.file("seq.gz"), "--threads", threads])
        #expect(text.stdout.contains("stream    one stream of"), "\(text.stdout)")
    }

    static let compressors: [(name: String, suffix: String)] = [
        ("gzip", "gz"), ("zstd", "zst"), ("xz", "xz"), ("bzip2", "bz2"), ("lz4", "lz4"), ("lzip", "lz"),
    ]

    /// A random file compressed by each tool: passes with a manifest line for its content
    /// (`HEX  -`, as sha256sum writes for its input), fails with a wrong one, and fails as
    /// damage with a byte flipped inside the compressed data.
    @Test(arguments: compressors.map(\.name), ["1", "2"])
    func aCompressedRandomFileIsOneStream(compressor: String, threads: String) throws {
        let suffix = Self.compressors.first { $0.name == compressor }!.suffix
        let plain = write(Self.noise(count: 300_000, seed: 23), "disk.img")
        try sh("\(compressor) -c -q disk.img > disk.img.\(suffix) && sha256sum < disk.img > stdin.sha256 && sha256sum disk.img > named.sha256")
        let archive = temp.file("disk.img.\(suffix)")

        let bare = try CheckRun.run([archive, "--threads", threads])
        #expect(bare.status == 0, "\(compressor): \(bare.stdout)")
        #expect(bare.json?["format"]?.stringValue == "raw")
        for manifest in ["stdin.sha256", "named.sha256"] {
            let run = try CheckRun.run([archive, "-m", temp.file(manifest), "--threads", threads])
            #expect(run.status == 0, "\(compressor) \(manifest): \(run.stdout)")
            #expect(run.json?["checked"]?.integerValue == 1)
        }
        let wrong = write(Array("\(String(repeating: "0", count: 64))  disk.img\n".utf8), "wrong.sha256")
        let mismatch = try CheckRun.run([archive, "-m", wrong, "--threads", threads])
        #expect(mismatch.status == 1 && mismatch.failureKinds() == ["content_mismatch"], "\(compressor): \(mismatch.stdout)")

        // A flipped byte in the middle of the compressed data: the stream's own check fails it.
        try FileManager.default.removeItem(atPath: plain)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int)
        try Corruption.flipByte(archive, at: size / 2)
        let damaged = try CheckRun.run([archive, "-m", temp.file("stdin.sha256"), "--threads", threads])
        #expect(damaged.status == 1, "\(compressor): \(damaged.stdout)")
        #expect(damaged.failureKinds().contains("corrupt_archive"), "\(compressor): \(damaged.stdout)")
    }

    @Test func theFilesOwnDigestAsItsManifestIsCheckedAsASidecar() throws {
        try sh("seq 1 50000 | gzip > nums.gz && sha256sum nums.gz > nums.gz.sha256")
        let archive = temp.file("nums.gz")
        // Found beside the file by its name, and given as the manifest: both are the file's digest.
        let sidecar = try CheckRun.run([archive])
        #expect(sidecar.status == 0, "\(sidecar.stdout)")
        #expect(sidecar.json?["archiveDigest"]?["matches"] == .bool(true))
        let asManifest = try CheckRun.run([archive, "-m", temp.file("nums.gz.sha256")])
        #expect(asManifest.status == 0, "\(asManifest.stdout)")
        #expect(asManifest.json?["archiveDigest"]?["matches"] == .bool(true))
        #expect(asManifest.json?["manifest"] == .null)
        // Another good gzip of other content: the compression is whole, the digest is not.
        try sh("seq 2 50000 | gzip > nums.gz")
        let other = try CheckRun.run([archive, "-m", temp.file("nums.gz.sha256")])
        #expect(other.status == 1 && other.failureKinds() == ["corrupt_archive"], "\(other.stdout)")
    }

    @Test(arguments: ["1", "2"])
    func anUncompressedTextNamedTarStillFails(threads: String) throws {
        try sh("seq 1 2000 > x.tar")
        let run = try CheckRun.run([temp.file("x.tar"), "--threads", threads])
        #expect(run.status == 1 && run.failureKinds() == ["corrupt_archive"], "\(run.stdout)")
        let why = run.json?["failures"]?.arrayValue?.first?["actual"]?.stringValue ?? ""
        #expect(why.contains("not an archive") && why.contains("--raw"), "\(why)")
        // Said to be one stream, it is one.
        let raw = try CheckRun.run([temp.file("x.tar"), "--raw", "--threads", threads])
        #expect(raw.status == 0 && raw.json?["format"]?.stringValue == "raw", "\(raw.stdout)")
        #expect(raw.json?["singleStream"]?["checks"]?.arrayValue?.first?.stringValue?.hasPrefix("uncompressed") == true)
    }

    /// libarchive reads text that looks like mtree lines as mtree even without the `#mtree`
    /// line; verifyd does not (seq's output gave 200,000 findings).
    @Test func textWithoutTheMtreeLineIsNotMtree() throws {
        let lines = "./file type=file uid=18 mode=0123 size=3\n./dir type=dir mode=0755\n./dir/x type=file mode=0644\n"
        _ = write(Array(lines.utf8), "list.txt")
        try sh("gzip -k list.txt && seq 1 200000 > seq.txt && gzip -k seq.txt")
        let plain = try CheckRun.run([temp.file("list.txt")])
        #expect(plain.status == 1, "\(plain.stdout)")
        #expect(plain.failures.count == 1 && plain.failureKinds() == ["corrupt_archive"], "\(plain.stdout)")
        #expect(plain.json?["failures"]?.arrayValue?.first?["actual"]?.stringValue?.contains("not an archive") == true, "\(plain.stdout)")
        let seqPlain = try CheckRun.run([temp.file("seq.txt")])
        #expect(seqPlain.status == 1 && seqPlain.failures.count == 1, "\(seqPlain.stdout)")
        for compressed in ["list.txt.gz", "seq.txt.gz"] {
            let run = try CheckRun.run([temp.file(compressed)])
            #expect(run.status == 0 && run.json?["format"]?.stringValue == "raw", "\(compressed): \(run.stdout)")
        }
        // With its signature, mtree is still read as mtree.
        try sh("mkdir t && echo abc > t/f && bsdtar -cf m.mtree --format=mtree -C t . && gzip -k m.mtree")
        for name in ["m.mtree", "m.mtree.gz"] {
            let run = try CheckRun.run([temp.file(name)])
            #expect(run.json?["format"]?.stringValue?.hasPrefix("mtree") == true, "\(name): \(run.stdout)")
        }
    }

    @Test func anEmptyCompressedStreamFails() throws {
        try sh("gzip -c < /dev/null > empty.gz && zstd -q -c < /dev/null > empty.zst")
        for name in ["empty.gz", "empty.zst"] {
            let run = try CheckRun.run([temp.file(name)])
            #expect(run.status == 1 && run.failureKinds() == ["corrupt_archive"], "\(name): \(run.stdout)")
        }
    }

    /// A text dump read as one stream: ended, cut, and cut inside a line (hand-made here; the
    /// real producers are in DatabaseDumpTests).
    @Test func aDumpWithoutItsEndIsTruncated() throws {
        let head = "--\n-- PostgreSQL database dump\n--\n\nSET x = 0;\n"
        let rows = (1...3000).map { "\($0)\tsome text \($0)\n" }.joined()
        let end = "\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n"
        _ = write(Array((head + rows + end).utf8), "good.sql")
        _ = write(Array((head + rows.prefix(20_000) + "\u{1B}[2J").utf8), "cut.sql")
        try sh("gzip -k good.sql cut.sql && zstd -q good.sql cut.sql")
        for name in ["good.sql.gz", "good.sql.zst"] {
            let run = try CheckRun.run([temp.file(name)])
            #expect(run.status == 0, "\(name): \(run.stdout)")
            #expect(run.json?["singleStream"]?["dump"]?.stringValue == "pg_dump")
            #expect(run.json?["singleStream"]?["dumpComplete"] == .bool(true))
        }
        for name in ["cut.sql.gz", "cut.sql.zst"] {
            let run = try CheckRun.run([temp.file(name)])
            #expect(run.status == 1 && run.failureKinds() == ["truncated_dump"], "\(name): \(run.stdout)")
            let actual = run.json?["failures"]?.arrayValue?.first?["actual"]?.stringValue ?? ""
            #expect(actual.hasSuffix("1110\\tsome text 1110\\n1111\\tsome text\\x1b[2J\""), "\(actual)")
            #expect(actual.contains("stops after 20050 bytes"), "\(actual)")
            #expect(run.json?["singleStream"]?["dumpComplete"] == .bool(false))
        }
        // Uncompressed, a dump is read as one stream only when said to be.
        let raw = try CheckRun.run([temp.file("cut.sql"), "--raw"])
        #expect(raw.status == 1 && raw.failureKinds() == ["truncated_dump"], "\(raw.stdout)")
        let text = try Tool.run([Tool.verifyctl, "check", temp.file("cut.sql"), "--raw"])
        #expect(text.stdout.contains("dump      pg_dump: its end is MISSING"), "\(text.stdout)")
    }
}
