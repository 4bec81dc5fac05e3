import Foundation
import Testing
import VerifyTestSupport

/// `verifyctl check --restore-to`: entries really extracted with libarchive's disk writer, then
/// checked from disk; hostile names refused; the scratch folder left empty.
struct RestoreModeTests {
    func contents(_ path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }

    @Test func aGoodArchiveIsRestoredCheckedFromDiskAndTheFolderEmptied() throws {
        let temp = TemporaryDirectory()
        let tree = try FixtureTree.standard(at: temp.file("tree"))
        try Tool.must([Tool.verifyctl, "manifest", "create", tree.root, "--format", "mtree", "-o", temp.file("m.mtree")])
        try Tool.must(["tar", "-czf", temp.file("a.tar.gz"), "-C", tree.root, "."])
        let scratch = temp.file("scratch")
        let run = try CheckRun.run([temp.file("a.tar.gz"), "-m", temp.file("m.mtree"), "--restore-to", scratch])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(contents(scratch).isEmpty, "emptied after the run")

        let kept = try CheckRun.run([temp.file("a.tar.gz"), "-m", temp.file("m.mtree"), "--restore-to", scratch, "--keep-restored"])
        #expect(kept.status == 0)
        let restored = try Data(contentsOf: URL(fileURLWithPath: scratch + "/var/log/big.log"))
        #expect([UInt8](restored) == tree.files["var/log/big.log"])
        let again = try CheckRun.run([temp.file("a.tar.gz"), "-m", temp.file("m.mtree"), "--restore-to", scratch])
        #expect(again.status == 2, "a restore folder that is not empty is refused")
        #expect(again.stdout.contains("not empty"))
    }

    @Test func hostileNamesAreRefusedAndNothingIsWrittenOutside() throws {
        let temp = TemporaryDirectory()
        let outside = temp.file("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let absolute = outside + "/absolute.txt"
        let script = """
            import io, tarfile, sys
            with tarfile.open(sys.argv[1], 'w') as t:
                def add(name, data=b'x\\n', kind=tarfile.REGTYPE, link=''):
                    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
                    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
                add('fine.txt', b'fine\\n')
                add('../outside/evil.txt')
                add(sys.argv[2])
                add('escape', kind=tarfile.SYMTYPE, link=sys.argv[3])
                add('escape/through-link.txt')
            """
        try Tool.must(["python3", "-c", script, temp.file("evil.tar"), absolute, outside])
        let scratch = temp.file("scratch")
        let run = try CheckRun.run([temp.file("evil.tar"), "--restore-to", scratch])
        #expect(run.status == 1, "\(run.stdout)")
        let unsafe = run.failures.filter { $0.kind == "unsafe_entry" }.compactMap(\.path)
        #expect(unsafe.contains("../outside/evil.txt"))
        #expect(unsafe.contains(absolute))
        #expect(unsafe.contains("escape/through-link.txt"), "\(run.failures)")
        #expect(contents(outside).isEmpty, "nothing written outside the scratch folder: \(contents(outside))")
        #expect(contents(scratch).isEmpty)
    }

    @Test func aDecompressionBombStopsAtTheRestoreLimit() throws {
        let temp = TemporaryDirectory()
        try Tool.must(["sh", "-c", "mkdir -p '\(temp.file("t"))' && head -c 300000000 /dev/zero > '\(temp.file("t"))/zeros' && tar -czf '\(temp.file("bomb.tar.gz"))' -C '\(temp.file("t"))' zeros"])
        let scratch = temp.file("scratch")
        let run = try CheckRun.run([temp.file("bomb.tar.gz"), "--restore-to", scratch])
        #expect(run.status == 1)
        #expect(run.failureKinds().contains("unsafe_entry"))
        #expect(run.stdout.contains("restore was stopped at its limit") || run.stdout.contains("exceed its limit"))
        #expect(contents(scratch).isEmpty)
    }
}
