import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// A tar cut where a backup job that died leaves it: at a member boundary, inside the
/// end-of-archive marker, after a pax header; then compressed by a compressor that closed its
/// stream cleanly. Archives from GNU tar, bsdtar and Python's tarfile, plain, gzip, zstd and xz,
/// read with one thread and with two, with a manifest (all or a sample) and without.
struct TarEndCutTests {
    /// The members, in order; the last one's name is too long for a ustar header (GNU tar and
    /// Python's GNU format write a long-name header before it, the pax writers a pax header),
    /// except for v7, which cannot store it.
    static func names(longLast: Bool) -> [String] {
        ["d/00-empty", "d/01.txt", "d/02.bin", longLast ? "d/" + String(repeating: "a-long-name-", count: 10) + ".txt" : "d/03.txt"]
    }

    static func python(_ format: String) -> [String] {
        ["python3", "-c", "import sys, tarfile\nwith tarfile.open(sys.argv[1], 'w', format=tarfile.\(format)) as t:\n    [t.add(n) for n in sys.argv[2:]]", "@OUT"]
    }

    /// (producer, command line making @OUT in the source folder, before the names)
    static let producers: [(String, [String])] = [
        ("GNU tar", ["tar", "--format=gnu", "-cf", "@OUT"]),
        ("GNU tar, POSIX pax", ["tar", "--format=posix", "-cf", "@OUT"]),
        ("GNU tar, v7", ["tar", "--format=v7", "-cf", "@OUT"]),
        ("bsdtar", ["bsdtar", "-cf", "@OUT"]),
        ("bsdtar, pax", ["bsdtar", "--format=pax", "-cf", "@OUT"]),
        ("Python tarfile, pax", python("PAX_FORMAT")),
        ("Python tarfile, GNU", python("GNU_FORMAT")),
    ]

    /// The places in a tar where a member ends, and where each member's own headers begin (its
    /// pax or GNU long-name headers, then its header).
    struct Layout {
        var memberEnds: [Int] = []
        /// For each member: the offset of its ustar/GNU header, when extended headers come first.
        var afterExtendedHeaders: [Int?] = []

        init(_ bytes: [UInt8]) {
            var offset = 0
            var extendedStart: Int?
            while offset + 512 <= bytes.count {
                let block = bytes[offset..<(offset + 512)]
                if block.allSatisfy({ $0 == 0 }) { break }
                let digits = block[(offset + 124)..<(offset + 136)].filter { (0x30...0x37).contains($0) }
                let size = Int(String(decoding: digits, as: UTF8.self), radix: 8) ?? 0
                let end = offset + 512 + (size + 511) / 512 * 512
                let type = block[offset + 156]
                if [UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K")].contains(type) {
                    if extendedStart == nil { extendedStart = offset }
                } else {
                    afterExtendedHeaders.append(extendedStart == nil ? nil : offset)
                    extendedStart = nil
                    memberEnds.append(end)
                }
                offset = end
            }
        }
    }

    struct Cut {
        var name: String
        var length: Int
        /// Nil: the cut archive passes; else words its archive-level finding holds.
        var failure: String?
        /// Members whole in the cut archive.
        var whole: Int
    }

    static func cuts(_ layout: Layout, size: Int, names: [String]) -> [Cut] {
        let end = layout.memberEnds.last!
        var cuts = layout.memberEnds.enumerated().map { index, offset in
            Cut(name: "after member \(index + 1)", length: offset,
                failure: "truncated: no end-of-archive marker after entry \"\(names[index])\"", whole: index + 1)
        }
        cuts += [
            Cut(name: "inside the first zero block", length: end + 200, failure: "Truncated tar archive", whole: names.count),
            Cut(name: "after one zero block", length: end + 512, failure: "truncated: a lone zero block after entry \"\(names.last!)\"", whole: names.count),
            Cut(name: "inside the second zero block", length: end + 800, failure: "the tar data ends 288 bytes into the second", whole: names.count),
            Cut(name: "after the marker", length: end + 1_024, failure: nil, whole: names.count),
            Cut(name: "whole", length: size, failure: nil, whole: names.count),
        ]
        if size > end + 1_024 + 512 {
            cuts.append(Cut(name: "inside the record padding", length: end + 1_024 + 700, failure: nil, whole: names.count))
        }
        if let header = layout.afterExtendedHeaders.last ?? nil {
            // libarchive 3.6 fails this itself (the end of data while it reads the header the
            // pax or long-name header belongs to); TarEnd words it if a libarchive does not.
            cuts.append(Cut(name: "after the last member's extended headers", length: header,
                            failure: "Damaged tar archive|headers that no entry follows", whole: names.count - 1))
        }
        return cuts
    }

    static let compressors: [(suffix: String, command: String)] = [("", ""), (".gz", "gzip -n -c"), (".zst", "zstd -q -c"), (".xz", "xz -c")]

    @Test(.timeLimit(.minutes(8)), arguments: producers.map(\.0))
    func everyCutIsTruncationAndEveryWholeEndPasses(producer: String) throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        let names = Self.names(longLast: !producer.hasSuffix("v7"))
        try tree.add(names[0], size: 0, seed: 1)
        try tree.add(names[1], size: 5_000, seed: 2)
        try tree.add(names[2], size: 1_536, seed: 3, compressible: false)
        try tree.add(names[3], size: 700, seed: 4)
        let manifest = try Manifest.parse(tree.sha256Manifest(), file: "MANIFEST.sha256")
        let full = temp.file("full.tar")
        let command = Self.producers.first { $0.0 == producer }!.1
        try Tool.must(command.map { $0.replacingOccurrences(of: "@OUT", with: full) } + names, in: tree.root)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: full)))
        let layout = Layout(bytes)
        #expect(layout.memberEnds.count == names.count, "\(producer): \(layout.memberEnds)")
        if !producer.hasSuffix("v7") {
            #expect(layout.afterExtendedHeaders.last ?? nil != nil, "\(producer): an extended header before the last member")
        }

        for cut in Self.cuts(layout, size: bytes.count, names: names) {
            let plain = temp.file("cut.tar")
            try Data(bytes[0..<cut.length]).write(to: URL(fileURLWithPath: plain))
            for compressor in Self.compressors {
                let archive = plain + compressor.suffix
                if !compressor.command.isEmpty {
                    try Tool.must(["sh", "-c", "\(compressor.command) cut.tar > cut.tar\(compressor.suffix)"], in: temp.path)
                }
                for threads in [1, 2] {
                    let context = "\(producer), cut \(cut.name) (\(cut.length) of \(bytes.count) bytes), \((archive as NSString).lastPathComponent), \(threads) thread(s)"
                    for sample in [nil, SamplePolicy.all, .count(1)] {
                        var request = VerificationRequest(archivePath: archive, manifest: sample == nil ? nil : manifest, sample: sample ?? .all, seed: 5)
                        request.threads = threads
                        let result = ArchiveVerification.run(request).result
                        let archiveLevel = result.findings.filter { $0.path == nil }.map { $0.actual ?? "" }
                        let described = "\(context), \(sample.map { "\($0)" } ?? "no manifest"): \(result.verdict) \(result.findings.prefix(3).map { "\($0.kind) \($0.path?.description ?? "-") \($0.actual ?? "")" })"
                        guard let failure = cut.failure else {
                            #expect(result.verdict == .pass, "\(described)")
                            continue
                        }
                        #expect(result.verdict == .fail, "\(described)")
                        #expect(archiveLevel.count == 1 && failure.split(separator: "|").contains { archiveLevel[0].contains($0) }, "\(described)")
                        #expect(result.findings.first { $0.path == nil }?.kind == .corruptArchive, "\(described)")
                        if sample == .all {
                            // The members cut off are missing; those whole are checked and good.
                            let missing = Set(result.findings.filter { $0.kind == .missing }.compactMap { $0.path?.description })
                            #expect(missing == Set(names[cut.whole...]), "\(described)")
                            #expect(result.findings.filter { $0.path != nil && $0.kind != .missing }.isEmpty, "\(described)")
                        }
                    }
                }
            }
        }
    }

    /// GNU tar's incremental dumps (a 'D' header per folder) and the last volume of a GNU
    /// multi-volume set (an 'M' header first); and the filters read on one thread by libarchive's
    /// own code through a handle of their own (bzip2, lz4, lzip) or only inside the parser's
    /// (lzma, lzop: the stream is decoded once more to look at its end).
    /// Also gzip members and zstd frames of 100 bytes of tar each: the decoded stream then comes
    /// in small pieces, so the bytes around the end are spread over many blocks.
    @Test(.timeLimit(.minutes(8)), arguments: ["incremental", "last volume", ".bz2", ".lz4", ".lz", ".lzma", ".lzo", ".gz members", ".zst frames"])
    func gnuSpecialHeadersAndOtherFilters(variant: String) throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        for index in 0..<6 { try tree.add("d/\(index).bin", size: 3_000 + index * 1_000, seed: UInt64(index + 1), compressible: index % 2 == 0) }
        let full = temp.file("full.tar")
        switch variant {
        case "incremental":
            try Tool.must(["tar", "--listed-incremental=\(temp.file("snar"))", "-cf", full, "d"], in: tree.root)
        case "last volume":
            // Volumes of 10 KiB: the last one begins with the end of a member split across volumes.
            let volumes = (1...9).map { temp.file("v\($0).tar") }
            try Tool.must(["tar", "-c", "-M", "-L", "10"] + volumes.flatMap { ["-f", $0] } + ["d"], in: tree.root)
            let last = try #require(volumes.last { FileManager.default.fileExists(atPath: $0) })
            #expect(last != volumes[0] && last != volumes[1], "several volumes")
            try FileManager.default.copyItem(atPath: last, toPath: full)
        default:
            try Tool.must(["tar", "-cf", full, "d"], in: tree.root)
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: full)))
        let layout = Layout(bytes)
        let last = try #require(layout.memberEnds.last)
        let compress: String = switch variant {
        case ".bz2": "bzip2 -c"
        case ".lz4": "lz4 -q -c"
        case ".lz": "lzip -c"
        case ".lzma": "xz --format=lzma -c"
        case ".lzo": "lzop -c"
        case ".gz members": "split -b 100 --filter='gzip -n -c' -"
        case ".zst frames": "split -b 100 --filter='zstd -q -c' -"
        default: "cat"
        }
        let suffix = variant.hasPrefix(".") ? String(variant.prefix { $0 != " " }) : ""
        // Whole; cut after the last member; the whole archive twice.
        try Tool.must(["sh", "-c", "cat full.tar | \(compress) > whole\(suffix) && head -c \(last) full.tar | \(compress) > cut\(suffix)"
                       + " && cat full.tar full.tar | \(compress) > twice\(suffix)"], in: temp.path)
        for threads in [1, 2] {
            var request = VerificationRequest(archivePath: temp.file("whole" + suffix), manifest: nil, seed: 1)
            request.threads = threads
            let whole = ArchiveVerification.run(request)
            #expect(whole.result.verdict == .pass, "\(variant), \(threads) thread(s): \(whole.summary)")
            request.archivePath = temp.file("cut" + suffix)
            let cut = ArchiveVerification.run(request)
            #expect(cut.result.verdict == .fail, "\(variant), \(threads) thread(s): \(cut.summary)")
            #expect(cut.result.findings.first?.actual?.hasPrefix("truncated: no end-of-archive marker after entry") == true, "\(variant), \(threads) thread(s): \(cut.summary)")
            request.archivePath = temp.file("twice" + suffix)
            let twice = ArchiveVerification.run(request)
            #expect(twice.result.verdict == .fail, "\(variant), \(threads) thread(s): \(twice.summary)")
            #expect(twice.result.findings.first?.actual?.hasPrefix("trailing data after the end-of-archive marker") == true, "\(variant), \(threads) thread(s): \(twice.summary)")
            #expect(twice.result.findings.first?.actual?.contains("another archive appended") == true, "\(variant), \(threads) thread(s): \(twice.summary)")
        }
    }

    /// A plain tar followed by a 64 GiB hole (a sparse file): zeros after the marker, told by
    /// the file system without reading them; data after the hole is still found.
    // The proof is the bytes read; the limit only stops a run that reads the hole (minutes), with
    // room for a loaded machine where other suites run beside it.
    @Test(.timeLimit(.minutes(8))) func aSparseTailIsNotReadByteByByte() throws {
        let temp = TemporaryDirectory()
        var tree = FixtureTree(root: TemporaryDirectory.childPath(of: temp, "src"))
        try tree.add("a.bin", size: 3_000, seed: 1)
        try Tool.must(["tar", "-cf", temp.file("a.tar"), "a.bin"], in: tree.root)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: temp.file("a.tar"))[.size] as? Int)
        try Tool.must(["truncate", "-s", "+64G", temp.file("a.tar")])
        for threads in [1, 2] {
            var request = VerificationRequest(archivePath: temp.file("a.tar"), manifest: nil, seed: 1)
            request.threads = threads
            let report = ArchiveVerification.run(request)
            #expect(report.result.verdict == .pass, "\(threads) thread(s): \(report.summary)")
            #expect(report.bytesRead < 1 << 20, "\(threads) thread(s): \(report.bytesRead) bytes read")
        }
        try Tool.must(["sh", "-c", "printf junk >> a.tar"], in: temp.path)
        let report = ArchiveVerification.run(VerificationRequest(archivePath: temp.file("a.tar"), manifest: nil, seed: 1))
        #expect(report.result.verdict == .fail, "\(report.summary)")
        let expected = "trailing data after the end-of-archive marker: \(size - 4_608 + (64 << 30) + 4) bytes after byte 4608, the first non-zero one at byte \(size + (64 << 30))"
        #expect(report.result.findings.first?.actual?.hasPrefix(expected) == true, "\(report.summary)")
    }
}
