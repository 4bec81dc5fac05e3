import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// Every archive of libarchive's own test suite (../shared/corpus/libarchive): verifyd must never
/// crash or hang, and passes a file only where bsdtar reads it fully.
@Suite struct CorpusTests {
    static let folder = Tool.repositoryRoot + "/../shared/corpus/libarchive"
    static let verdicts: [(file: String, bsdtar: String)] = {
        guard let text = try? String(contentsOfFile: folder + "/bsdtar-verdict.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t").map(String.init)
            return fields.count >= 2 ? (fields[0], fields[1]) : nil
        }
    }()

    /// Where verifyd is stricter than bsdtar, and why.
    static let stricterThanBsdtar: [String: String] = [
        "test_read_format_mtree_nomagic2.mtree":
            "text without the #mtree line is never read as mtree (libarchive's 'nomagic' guess); uncompressed and not an archive, it fails",
        "test_read_format_rar5_multiarchive.part01.rar":
            "the first volume of a multi-volume set alone: its last entry's data is cut short, which bsdtar -xO does not report",
        // A tar's end (issue 26): these three passed before the end-of-archive marker was checked.
        "test_read_format_gtar_sparse_length.tar.Z":
            "its tar ends with a lone zero block (GNU tar: \"A lone zero block at 6\"): truncation",
        "test_read_format_tar_concatenated.tar":
            "two tars one after the other: the second is trailing data after the first one's marker (tar -t lists 1 entry, tar -it 2)",
        "test_read_format_iso_3.iso.Z":
            "an ISO 9660 image whose first 32 KiB are zeros, which libarchive (and bsdtar) read as an empty tar: as a tar, data follows its marker",
    ]

    @Test(.enabled(if: !verdicts.isEmpty, "the corpus is at ../shared/corpus/libarchive"), .timeLimit(.minutes(8)),
          arguments: verdicts.map(\.file))
    func neverCrashesNorHangsAndPassesOnlyWhatBsdtarReads(file: String) throws {
        let expected = Self.verdicts.first { $0.file == file }!.bsdtar
        // The real binary, so a crash would show as a signal, not take the test runner down.
        let started = ContinuousClock.now
        let run = try CheckRun.run([Self.folder + "/" + file, "--no-archive-digest", "--stall-timeout", "3"])
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect([0, 1, 2].contains(run.status), "\(file): exit \(run.status) \(run.stderr)")
        #expect(run.json != nil, "\(file): no JSON report")
        if expected != "readable" {
            #expect(run.status != 0, "\(file): bsdtar says \(expected), verifyd passed it")
        } else if let why = Self.stricterThanBsdtar[file] {
            #expect(run.status == 1, "\(file): expected verifyd to fail it: \(why)")
        }
        if expected == "hang", file.contains("ce_loop") || file.contains("doublelink") {
            #expect(run.failures.first?.kind == "corrupt_archive")
        }
    }
}
