import ArchiveReading
import Foundation
import Testing
import VerifyCore
import VerifyTestSupport

/// ISA-L and zlib are two independent inflaters: on every kind of gzip file, good or damaged,
/// they must give the same bytes (every entry's digest checked against the manifest) and the
/// same verdict and findings, inflated on a thread of their own or on the parser's.
struct GzipBackendTests {
    /// (name, how to make it from a.tar.gz, the expected verdict)
    static let cases: [(String, String, Verdict)] = [
        ("plain", "cp a.tar.gz @OUT", .pass),
        ("best compression with a name and comment", "gzip -9 -N -c a.tar > @OUT", .pass),
        ("pigz blocks", "pigz -p 2 -b 128 -c a.tar > @OUT", .pass),
        ("three members", "head -c 100000 a.tar | gzip -c > @OUT; tail -c +100001 a.tar | head -c 400000 | gzip -1 -c >> @OUT; tail -c +500001 a.tar | gzip -c >> @OUT", .pass),
        ("zero padding after the last member", "cp a.tar.gz @OUT; head -c 4096 /dev/zero >> @OUT", .pass),
        ("garbage after the last member", "cp a.tar.gz @OUT; printf 'garbage!' >> @OUT", .fail),
        ("CRC-32 flipped", "cp a.tar.gz @OUT; python3 -c \"import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[-8]^=1; open(sys.argv[1],'wb').write(b)\" @OUT", .fail),
        ("ISIZE flipped", "cp a.tar.gz @OUT; python3 -c \"import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[-2]^=1; open(sys.argv[1],'wb').write(b)\" @OUT", .fail),
        ("deflate data flipped", "cp a.tar.gz @OUT; python3 -c \"import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[len(b)//2]^=0x55; open(sys.argv[1],'wb').write(b)\" @OUT", .fail),
        ("cut in the middle", "head -c 300000 a.tar.gz > @OUT", .fail),
        ("cut inside the trailer", "head -c $(( $(stat -c %s a.tar.gz) - 3 )) a.tar.gz > @OUT", .fail),
    ]

    @Test(arguments: cases.map(\.0))
    func isalAndZlibAgree(name: String) throws {
        let (_, command, expected) = Self.cases.first { $0.0 == name }!
        let workspace = try Workspace()
        try Tool.must(["tar", "-cf", workspace.temp.file("a.tar"), "-C", workspace.src, "."])
        try Tool.must(["gzip", "-k", "-6", workspace.temp.file("a.tar")])
        let file = workspace.temp.file("case.gz")
        try Tool.must(["sh", "-c", command.replacingOccurrences(of: "@OUT", with: "'\(file)'")], in: workspace.temp.path)
        let manifest = try workspace.manifest()
        var reports: [GzipBackend: VerificationReport] = [:]
        for backend in GzipBackend.allCases {
            var request = VerificationRequest(archivePath: file, manifest: manifest, seed: 1)
            request.gzipBackend = backend
            reports[backend] = ArchiveVerification.run(request)
            // Inflated on the parser's own thread instead of a thread of its own: the same.
            request.threads = 1
            let oneThread = ArchiveVerification.run(request)
            #expect(oneThread.result.verdict == reports[backend]?.result.verdict, "\(name), \(backend), one thread: \(oneThread.summary)")
            #expect(oneThread.result.findings == reports[backend]?.result.findings, "\(name), \(backend), one thread")
        }
        let isal = try #require(reports[.isal]), zlib = try #require(reports[.zlib])
        #expect(isal.result.verdict == expected, "\(name): \(isal.summary)")
        #expect(isal.result.verdict == zlib.result.verdict, "\(name): isal \(isal.summary) / zlib \(zlib.summary)")
        #expect(isal.kinds == zlib.kinds, "\(name): isal \(isal.summary) / zlib \(zlib.summary)")
        #expect(isal.result.checked == zlib.result.checked)
        let isalDamage = isal.result.findings.first { $0.kind == .corruptArchive }?.actual
        let zlibDamage = zlib.result.findings.first { $0.kind == .corruptArchive }?.actual
        if name.contains("CRC") || name.contains("ISIZE") || name.contains("garbage") || name.contains("cut") {
            #expect(isalDamage == zlibDamage, "same words for the same damage")
        }
    }
}
