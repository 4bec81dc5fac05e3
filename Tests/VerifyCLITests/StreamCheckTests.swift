import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// `verifyctl check -` and a FIFO named on the command line: real producers writing into real
/// pipes (`tar -c | gzip | verifyctl check -`), with `set -o pipefail` as the docs show.
@Suite struct StreamCheckTests {
    let temp = TemporaryDirectory()

    init() throws {
        // Three files that do not compress, and their manifest.
        try Tool.must(["sh", "-c", """
            mkdir src && for i in 1 2 3; do head -c 200000 /dev/urandom > src/f$i; done && \
            (cd src && sha256sum f1 f2 f3) > m.sha256 && mkdir spool
            """], in: temp.path)
    }

    /// What a pipeline gave: verifyctl's status (pipefail: or a producer's), its output.
    struct PipeRun {
        var status: Int32
        var json: JSONValue?
        var stdout: String
        var stderr: String
        func failureKinds() -> Set<String> { Set((json?["failures"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue }) }
    }

    /// Runs `script` in bash with pipefail, in the test's folder; `$V` is verifyctl.
    func pipeline(_ script: String) throws -> PipeRun {
        let result = try Tool.run(["bash", "-o", "pipefail", "-c", "V='\(Tool.verifyctl)'; " + script], in: temp.path)
        let json = try? JSONValue.parse(Array(result.stdout.utf8))
        return PipeRun(status: result.status, json: json, stdout: result.stdout, stderr: result.stderr)
    }

    func sha256(_ name: String) throws -> (hex: String, size: Int) {
        let hex = try Tool.must(["sh", "-c", "sha256sum < \(name) | cut -c1-64"], in: temp.path).stdout
        let size = try #require(try FileManager.default.attributesOfItem(atPath: temp.file(name))[.size] as? Int)
        return (hex.trimmingCharacters(in: .whitespacesAndNewlines), size)
    }

    /// tar | gzip | tee x.tar.gz | verifyctl check -: passes in one pass, and the stream's size
    /// and SHA-256 in the report are those of the copy tee wrote. No copy is made: with TMPDIR
    /// a folder that does not exist, it passes all the same.
    @Test(arguments: ["1", "2"], ["isal", "zlib"])
    func tarGzipThroughTeePasses(threads: String, inflater: String) throws {
        let run = try pipeline(
            "tar -C src -c . | gzip | tee x.tar.gz | TMPDIR=/nonexistent $V check - -m m.sha256 --threads \(threads) --inflater \(inflater) --json")
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.json?["archive"]?.stringValue == "-")
        #expect(run.json?["filters"]?.arrayValue?.compactMap(\.stringValue) == ["gzip"])
        #expect(run.json?["checked"]?.integerValue == 3)
        let copy = try sha256("x.tar.gz")
        #expect(run.json?["input"]?["sha256"]?.stringValue == copy.hex)
        #expect(run.json?["input"]?["bytes"]?.integerValue == Int64(copy.size))
        #expect(run.json?["bytesRead"]?.integerValue == Int64(copy.size))
    }

    /// --spool DIR: the stream is copied into DIR, verified as a file, and the copy removed.
    @Test func spoolCopiesAndRemoves() throws {
        let run = try pipeline("tar -C src -c . | gzip | tee x.tar.gz | $V check - -m m.sha256 --spool spool --json")
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.json?["input"]?["sha256"]?.stringValue == (try sha256("x.tar.gz")).hex)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.file("spool")).isEmpty)
        // A spool folder that does not exist: an error naming it and --spool.
        let nowhere = try pipeline("tar -C src -c . | $V check - --spool no-such-folder --json")
        #expect(nowhere.status == 2, "\(nowhere.stdout)")
        #expect(nowhere.json?["error"]?.stringValue?.contains("no-such-folder: cannot create the spool file") == true, "\(nowhere.stdout)")
    }

    /// Every filter from a pipe, with one thread and two: the bytes the tar reader read are
    /// decoded here, so its end is checked on them (no second read).
    @Test(arguments: ["zstd -q -c", "xz -c", "bzip2 -c", "lz4 -q -c", "lzip -c", "compress -c", "lzma -c", "lzop -c", "cat"], ["1", "2"])
    func everyFilterStreamPasses(filter: String, threads: String) throws {
        let tool = String(filter.split(separator: " ")[0])
        guard Tool.exists(tool) else { return }
        let run = try pipeline("tar -C src -c . | \(filter) | tee x.out | $V check - -m m.sha256 --threads \(threads) --json")
        #expect(run.status == 0, "\(filter): \(run.stdout) \(run.stderr)")
        #expect(run.json?["checked"]?.integerValue == 3)
        #expect(run.json?["input"]?["sha256"]?.stringValue == (try sha256("x.out")).hex)
        // Cut inside the last entry's data: corrupt_archive, as for a file.
        try Tool.must(["sh", "-c", "tar -C src -c . | head -c 600832 | \(filter) > cut.out"], in: temp.path)
        let cut = try pipeline("cat cut.out | $V check - -m m.sha256 --threads \(threads) --json")
        #expect(cut.status == 1 && cut.failureKinds() == ["corrupt_archive"], "\(filter): \(cut.stdout)")
    }

    /// The text report names the stream and prints its digest.
    @Test func textReportPrintsTheStreamDigest() throws {
        let run = try pipeline("tar -C src -c . | tee x.tar | $V check - -m m.sha256")
        #expect(run.status == 0, "\(run.stdout)")
        let copy = try sha256("x.tar")
        #expect(run.stdout.contains("archive   - (GNU tar format"), "\(run.stdout)")
        #expect(run.stdout.contains("input     a stream of \(copy.size) bytes, sha256 \(copy.hex)"), "\(run.stdout)")
    }

    /// zip written to a pipe (`zip -` uses data descriptors) is read by its local headers and
    /// passes; the report says what that leaves unchecked.
    @Test func zipToAPipePasses() throws {
        let zip = try pipeline("(cd src && zip -q -r - .) | $V check - -m m.sha256 --json")
        #expect(zip.status == 0, "\(zip.stdout) \(zip.stderr)")
        #expect(zip.json?["format"]?.stringValue?.hasPrefix("ZIP") == true, "\(zip.stdout)")
        #expect(zip.json?["checked"]?.integerValue == 3)
        let warnings = zip.json?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains { $0.hasPrefix("zip read from a stream by its local headers") }, "\(zip.stdout)")
        #expect(!warnings.contains { $0.hasPrefix("zip end records not checked") }, "\(zip.stdout)")
    }

    /// A 7z needs seeking: from a stream, an error naming the format and --spool DIR; with
    /// --spool it passes.
    @Test func sevenZipNeedsTheSpool() throws {
        guard Tool.exists("7z") else { return }
        try Tool.must(["sh", "-c", "cd src && 7z a -bd ../x.7z f1 f2 f3 >/dev/null"], in: temp.path)
        let direct = try pipeline("cat x.7z | $V check - -m m.sha256 --json")
        #expect(direct.status == 2, "\(direct.stdout)")
        let error = direct.json?["error"]?.stringValue ?? ""
        #expect(error.contains("7-Zip") && error.contains("--spool DIR"), "\(direct.stdout)")
        let spooled = try pipeline("cat x.7z | $V check - -m m.sha256 --spool spool --json")
        #expect(spooled.status == 0, "\(spooled.stdout) \(spooled.stderr)")
        #expect(spooled.json?["format"]?.stringValue == "7-Zip", "\(spooled.stdout)")
        #expect(spooled.json?["checked"]?.integerValue == 3)
    }

    /// A stream cut short is corrupt_archive, as a file is.
    @Test func aStreamCutShortIsCorrupt() throws {
        let gz = try pipeline("tar -C src -c . | gzip | head -c 300000 | $V check - -m m.sha256 --json")
        #expect(gz.status == 1 && gz.failureKinds().contains("corrupt_archive"), "\(gz.stdout)")
        // A plain tar cut right after its last entry's data: no end-of-archive marker.
        let tar = try pipeline("tar -C src -cf one.tar f1 && head -c \(512 + 200_192) one.tar | $V check - --json")
        #expect(tar.status == 1 && tar.failureKinds() == ["corrupt_archive"], "\(tar.stdout)")
        #expect(tar.stdout.contains("no end-of-archive marker"), "\(tar.stdout)")
    }

    /// A byte flipped in the compressed data of the stream: corrupt_archive.
    @Test func aStreamWithAFlippedByteFails() throws {
        try Tool.must(["sh", "-c", "tar -C src -c . | gzip > x.tar.gz"], in: temp.path)
        let size = try sha256("x.tar.gz").size
        try Corruption.flipByte(temp.file("x.tar.gz"), at: size / 2, mask: 0x10)
        let run = try pipeline("cat x.tar.gz | $V check - -m m.sha256 --json")
        #expect(run.status == 1 && run.failureKinds().contains("corrupt_archive"), "\(run.stdout)")
    }

    /// --archive-digest compares the whole stream's digest (sha256sum's `-` line for its input).
    @Test func archiveDigestComparesTheStream() throws {
        try Tool.must(["sh", "-c", "tar -C src -c . | gzip > x.tar.gz && sha256sum - < x.tar.gz > x.sha256 && echo \"$(printf '0%.0s' $(seq 64))  -\" > wrong.sha256"], in: temp.path)
        let good = try pipeline("cat x.tar.gz | $V check - -m m.sha256 --archive-digest x.sha256 --json")
        #expect(good.status == 0, "\(good.stdout)")
        #expect(good.json?["archiveDigest"]?["matches"] == .bool(true))
        let bad = try pipeline("cat x.tar.gz | $V check - --archive-digest wrong.sha256 --json")
        #expect(bad.status == 1, "\(bad.stdout)")
        #expect(bad.json?["archiveDigest"]?["matches"] == .bool(false))
    }

    /// A FIFO named on the command line is read as a stream (the daemon still refuses FIFOs in
    /// destinations: WriterCheckTests, HostileFileCheckTests).
    @Test func aFifoNamedOnTheCommandLine() throws {
        let run = try pipeline("mkfifo p && { tar -C src -c . | zstd -q -c > p & } && $V check p -m m.sha256 --json")
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.json?["archive"]?.stringValue == "p")
        #expect(run.json?["input"]?["stream"] == .bool(true))
    }

    /// A stream whose writer sends nothing: stalled after --stall-timeout, an error (exit 2).
    /// The shell holds the FIFO open for writing and never writes.
    @Test func aStalledStreamIsAnError() throws {
        let run = try pipeline("mkfifo q && exec 3<>q && $V check q --stall-timeout 0.3 --json")
        #expect(run.status == 2, "\(run.stdout)")
        #expect(run.json?["error"]?.stringValue?.contains("stalled: no data for") == true, "\(run.stdout)")
    }

    /// A writer that sends part of the archive, then nothing while it keeps the FIFO open (the
    /// shell holds its write end; head writes in the background, more than a pipe holds):
    /// stalled after --stall-timeout, an error (exit 2) that says after how many bytes, with
    /// one thread and two (the read then happens on the inflating thread).
    @Test(arguments: ["1", "2"])
    func aWriterThatStallsMidwayIsAnError(threads: String) throws {
        try Tool.must(["sh", "-c", "tar -C src -c . | gzip > x.tar.gz"], in: temp.path)
        let run = try pipeline("mkfifo q && exec 3<>q && { head -c 300000 x.tar.gz >&3 & } && $V check q --threads \(threads) --stall-timeout 0.5 --json")
        #expect(run.status == 2, "\(run.stdout)")
        #expect(run.json?["error"]?.stringValue == "q: stalled: no data for 0.5 s after 300000 bytes (--stall-timeout)", "\(run.stdout)")
        #expect(run.json?["input"]?["sha256"] == .null)
    }

    /// An SVR4 cpio with checksums ("070702"): the sum of each entry's data is checked from a
    /// stream too (its header read back from the bytes just parsed), plain and through gzip.
    @Test(arguments: ["cat", "gzip -c"], ["1", "2"])
    func cpioChecksumsFromAStream(filter: String, threads: String) throws {
        try Tool.must(["sh", "-c", "cd src && ls f1 f2 f3 | cpio -o -H crc 2>/dev/null > ../c.cpio"], in: temp.path)
        let good = try pipeline("\(filter) c.cpio | $V check - -m m.sha256 --threads \(threads) --json")
        #expect(good.status == 0 && good.json?["checked"]?.integerValue == 3, "\(good.stdout)")
        // A byte of f2's data flipped, and the manifest left out: only the checksum can tell.
        try Corruption.flipByte(temp.file("c.cpio"), at: 110 + 4 + 200_000 + 110 + 4 + 1000, mask: 0x01)
        let bad = try pipeline("\(filter) c.cpio | $V check - --threads \(threads) --json")
        #expect(bad.status == 1 && bad.failureKinds() == ["corrupt_archive"], "\(filter): \(bad.stdout)")
        // The same now holds for a file decoded by verifyd (a .cpio.gz), which was not checked.
        let file = try pipeline("gzip -c c.cpio > c.cpio.gz && $V check c.cpio.gz --threads \(threads) --json")
        #expect(file.status == 1 && file.failureKinds() == ["corrupt_archive"], "\(file.stdout)")
    }

    /// Restore mode from a stream: its size is not known before its end, so the restore is
    /// bounded by the reserve alone (a limit from a size of 0 stopped a 51 MiB entry at 50 MiB).
    @Test func restoreFromAStream() throws {
        try Tool.must(["sh", "-c", "mkdir big && head -c 53477376 /dev/zero > big/zeros && (cd big && sha256sum zeros) > big.sha256"], in: temp.path)
        let run = try pipeline("tar -C big -c zeros | gzip -1 | $V check - -m big.sha256 --restore-to restored --json")
        #expect(run.status == 0 && run.json?["checked"]?.integerValue == 1, "\(run.stdout)")
    }

    /// A pg_dump custom-format dump needs seeking: from a stream, an error naming it and --spool.
    @Test func aCustomFormatDumpNeedsTheSpool() throws {
        let run = try pipeline("printf 'PGDMP\\001\\016\\000' | $V check - --json")
        #expect(run.status == 2, "\(run.stdout)")
        let error = run.json?["error"]?.stringValue ?? ""
        #expect(error.contains("pg_dump custom format") && error.contains("--spool DIR"), "\(run.stdout)")
    }

    /// A compressed stream bigger than what is kept of its start, that holds no archive: read
    /// again as one stream from the kept start, and checked against sha256sum's `-` line.
    @Test(arguments: ["1", "2"])
    func aLargeCompressedSingleStream(threads: String) throws {
        try Tool.must(["sh", "-c", "head -c 40000000 /dev/urandom > big && sha256sum - < big > big.sha256"], in: temp.path)
        let run = try pipeline("zstd -q -1 -c big | $V check - -m big.sha256 --threads \(threads) --json")
        #expect(run.status == 0 && run.json?["format"]?.stringValue == "raw", "\(run.stdout)")
        #expect(run.json?["checked"]?.integerValue == 1)
    }

    /// A pg_dump piped through gzip, cut short: truncated_dump, as for a file.
    @Test func aDumpStreamCutShortIsTruncated() throws {
        let body = "--\n-- PostgreSQL database dump\n--\n\nSET x = 0;\n" + (1...3000).map { "\($0)\tsome text \($0)\n" }.joined()
        let end = "\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n"
        _ = FileManager.default.createFile(atPath: temp.file("good.sql"), contents: Data((body + end).utf8))
        let good = try pipeline("gzip -c good.sql | $V check - --json")
        #expect(good.status == 0, "\(good.stdout)")
        #expect(good.json?["singleStream"]?["dumpComplete"] == .bool(true))
        let cut = try pipeline("head -c 20000 good.sql | gzip | $V check - --json")
        #expect(cut.status == 1 && cut.failureKinds() == ["truncated_dump"], "\(cut.stdout)")
    }

    /// A FIFO keeps its name: a single stream in db.txt.gz is checked against a manifest line
    /// for db.txt, as the file would be; standard input against sha256sum's `-` line.
    @Test func aStreamKeepsTheNamesASingleStreamNeeds() throws {
        try Tool.must(["sh", "-c", "seq 1 100000 > db.txt && sha256sum db.txt > named.sha256 && sha256sum - < db.txt > stdin.sha256"], in: temp.path)
        let fifo = try pipeline("mkfifo db.txt.gz && { gzip -c db.txt > db.txt.gz & } && $V check db.txt.gz -m named.sha256 --json")
        #expect(fifo.status == 0 && fifo.json?["checked"]?.integerValue == 1, "\(fifo.stdout)")
        let stdin = try pipeline("gzip -c db.txt | $V check - -m stdin.sha256 --json")
        #expect(stdin.status == 0 && stdin.json?["checked"]?.integerValue == 1, "\(stdin.stdout)")
        let wrong = try pipeline("gzip -c db.txt | head -c 1000 | $V check - -m stdin.sha256 --json")
        #expect(wrong.status == 1 && wrong.failureKinds().contains("corrupt_archive"), "\(wrong.stdout)")
    }

    /// /dev/stdin on a pipe (the "is not a regular file"), an empty stream, and bytes
    /// after the gzip stream.
    @Test func devStdinEmptyAndTrailingGarbage() throws {
        let devStdin = try pipeline("tar -C src -c . | $V check /dev/stdin -m m.sha256 --json")
        #expect(devStdin.status == 0 && devStdin.json?["checked"]?.integerValue == 3, "\(devStdin.stdout)")
        let empty = try pipeline("printf '' | $V check - --json")
        #expect(empty.status == 1 && empty.failureKinds() == ["corrupt_archive"], "\(empty.stdout)")
        #expect(empty.json?["input"]?["bytes"]?.integerValue == 0)
        let garbage = try pipeline("tar -C src -c . | gzip | { cat; echo garbage; } | $V check - -m m.sha256 --json")
        #expect(garbage.status == 1 && garbage.failureKinds().contains("corrupt_archive"), "\(garbage.stdout)")
        #expect(garbage.stdout.contains("garbage after gzip member"), "\(garbage.stdout)")
    }

    /// verifyctl ended by SIGTERM while it copies a stream leaves no copy behind. The copy's
    /// appearance is waited for (a positive event), then the signal is sent.
    @Test func aSignalRemovesTheCopy() throws {
        let run = try pipeline("""
            mkfifo q && exec 3<>q && { $V check q --spool spool --stall-timeout 20 & pid=$!; } && \
            head -c 100000 /dev/urandom >&3 && \
            for i in $(seq 600); do [ -n "$(ls spool)" ] && break; sleep 0.05; done && \
            [ -n "$(ls spool)" ] && kill -TERM $pid; wait $pid; echo "status $?"; ls -A spool | wc -l
            """)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines == ["status 143", "0"], "\(run.stdout) \(run.stderr)")
    }
}
