import Foundation
import Testing
import VerifyTestSupport

/// The check that keeps tests from running binaries older than their sources, on a made-up tree:
/// `Sources/Alpha` and `Sources/tool-x` are linked into `bin/tool`, `Sources/Beta` is not.
struct BinaryFreshnessTests {
    let temp = TemporaryDirectory()
    let built = Date(timeIntervalSince1970: 1_800_000_000)

    func tree() throws -> (root: String, binary: String) {
        let root = temp.path
        for folder in ["Sources/Alpha/Inner", "Sources/Beta", "Sources/tool-x", "bin/tool.product", ".build/debug/Alpha.build", ".build/debug/tool_x.build"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        let build = root + "/.build/debug"
        // One object per line as SwiftPM writes it; a package's object (GRDB) has no Sources/ folder.
        let list = ["\(build)/Alpha.build/a.swift.o", "\"\(build)/tool_x.build/main.swift.o\"", "\(build)/GRDB.build/Database.swift.o", ""]
        try list.joined(separator: "\n").write(toFile: root + "/bin/tool.product/Objects.LinkFileList", atomically: true, encoding: .utf8)
        // What the compiler writes each time it compiles a file (the object only when it changed).
        let records = [".build/debug/Alpha.build/a.d", ".build/debug/Alpha.build/a.swiftdeps", ".build/debug/tool_x.build/main.d"]
        for file in ["Sources/Alpha/a.swift", "Sources/Alpha/Inner/shim.h", "Sources/Beta/b.swift", "Sources/tool-x/main.swift", "bin/tool"] + records {
            try touch(root + "/" + file, built.addingTimeInterval(file == "bin/tool" ? 0 : records.contains(file) ? -30 : -60))
        }
        return (root, root + "/bin/tool")
    }

    func touch(_ path: String, _ date: Date) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) }
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }

    @Test func aBinaryNewerThanItsSourcesIsFresh() throws {
        let (root, binary) = try tree()
        #expect(BinaryFreshness.judge(binary, root: root) == nil)
    }

    @Test(arguments: ["Sources/Alpha/a.swift", "Sources/Alpha/Inner/shim.h", "Sources/tool-x/main.swift"])
    func aNewerSourceOfALinkedModuleIsNamed(_ source: String) throws {
        let (root, binary) = try tree()
        try touch(root + "/" + source, built.addingTimeInterval(1))
        #expect(BinaryFreshness.judge(binary, root: root) == "binary tool is older than \(source): run swift build (\(binary) was built before that file changed)")
    }

    /// SwiftPM does not relink a binary when only a module it does not link changed.
    @Test func aNewerSourceOfAnotherModuleIsNotAProblem() throws {
        let (root, binary) = try tree()
        try touch(root + "/Sources/Beta/b.swift", built.addingTimeInterval(3600))
        try touch(root + "/Sources/Alpha/notes.md", built.addingTimeInterval(3600))
        #expect(BinaryFreshness.judge(binary, root: root) == nil)
    }

    /// A file touched without a change is compiled again to the same object, which the compiler
    /// does not rewrite, so SwiftPM does not relink: its records show that it was compiled.
    @Test func aSourceCompiledSinceItChangedIsNotAProblem() throws {
        let (root, binary) = try tree()
        try touch(root + "/Sources/Alpha/a.swift", built.addingTimeInterval(10))
        try touch(root + "/.build/debug/Alpha.build/a.d", built.addingTimeInterval(11))
        #expect(BinaryFreshness.judge(binary, root: root) == nil)
        // ...but a second change after that compile is stale again.
        try touch(root + "/Sources/Alpha/Inner/shim.h", built.addingTimeInterval(12))
        #expect(BinaryFreshness.judge(binary, root: root)?.hasPrefix("binary tool is older than Sources/Alpha/Inner/shim.h") == true)
    }

    /// A sub-second edit after the link still counts (nanosecond times).
    @Test func aSourceAMillisecondNewerIsNamed() throws {
        let (root, binary) = try tree()
        try touch(root + "/Sources/Alpha/a.swift", built.addingTimeInterval(0.001))
        #expect(BinaryFreshness.judge(binary, root: root)?.hasPrefix("binary tool is older than Sources/Alpha/a.swift") == true)
    }

    @Test func withoutALinkListNothingIsSaid() throws {
        let (root, binary) = try tree()
        try FileManager.default.removeItem(atPath: BinaryFreshness.linkList(of: binary))
        try touch(root + "/Sources/Alpha/a.swift", built.addingTimeInterval(3600))
        #expect(BinaryFreshness.judge(binary, root: root) == nil)
        #expect(BinaryFreshness.judge(root + "/bin/missing", root: root) == nil)
    }

    /// The binaries the tests run were built after every source they link (what `swift build`
    /// leaves); this fails with the check's message when they were not rebuilt.
    @Test func theBuiltBinariesAreFresh() {
        for binary in [Tool.verifyd, Tool.verifyctl, Tool.verifydHooks] {
            #expect(BinaryFreshness.problem(of: binary) == nil)
        }
    }
}
