import Foundation
import Testing
import VerifyTestSupport

/// Every `$ verifyctl ...` example in the README and docs/ is what `make demo` prints: the demo script is
/// run with the built binaries and each example's output is compared with it, line by line, with
/// times, sizes, ids and paths that differ from run to run masked.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ReadmeExampleTests {
    struct Example {
        var command: String
        var lines: [String]
    }

    /// `$ verifyctl ...` lines and what follows them up to `(exit status N)`.
    static func examples(in text: String) -> [Example] {
        var examples: [Example] = []
        var current: Example?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("$ verifyctl ") {
                current = Example(command: line, lines: [])
            } else if current != nil {
                current!.lines.append(line)
                if line.hasPrefix("(exit status ") {
                    examples.append(current!)
                    current = nil
                }
            }
        }
        return examples
    }

    /// Masks what differs between two runs of the demo: absolute paths up to `demo/`, ages and
    /// times to come, then every number; runs of spaces (table columns) become one.
    static func normalize(_ line: String) -> String {
        var text = line.replacing(try! Regex(#"/[^ ]*/demo/"#), with: "demo/")
        text = text.replacing(try! Regex(#"\b(just now|now|(in )?(\d+[smhd] ?)+(ago)?)(?=\s|$)"#), with: "T ")
        // A rate's unit follows the machine's load (KiB/s on a busy one, MiB/s on an idle one).
        text = text.replacing(try! Regex(#"\d+(\.\d+)? ?[KMGT]?i?B/s"#), with: "RATE")
        text = text.replacing(try! Regex(#"\d+(\.\d+)?"#), with: "0")
        text = text.replacing(try! Regex(#"[0-9a-f]{64}"#), with: "HEX")
        return text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    @Test func everyReadmeExampleIsWhatTheDemoPrints() throws {
        let root = Tool.repositoryRoot
        let binaries = [".build/debug", ".build/release"].map { root + "/" + $0 }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/verifyd") } ?? root + "/.build/debug"
        let temp = TemporaryDirectory()
        let demo = try Tool.run(["sh", root + "/scripts/demo.sh", binaries], in: temp.path)
        #expect(demo.status == 0, "\(demo.stdout)\(demo.stderr)")
        let printed = Self.examples(in: demo.stdout)
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        #expect(Self.examples(in: readme).count >= 6, "the README's examples were not found")
        for document in Self.documents(in: root) {
            let text = try String(contentsOfFile: root + "/" + document, encoding: .utf8)
            Self.compare(Self.examples(in: text), of: document, with: printed)
        }
    }

    /// The README and every page of docs/: each may show the demo's output.
    static func documents(in root: String) -> [String] {
        let pages = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
        return ["README.md"] + pages.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    /// The same command may be shown at several moments of the demo: each documented example is
    /// matched with the first of the demo's runs of it not matched yet in that document.
    static func compare(_ documented: [Example], of document: String, with printed: [Example]) {
        var used: Set<Int> = []
        for example in documented {
            guard let index = printed.indices.first(where: { !used.contains($0) && printed[$0].command == example.command }) else {
                Issue.record("\(document): `\(example.command)` is not run by the demo (as often)")
                continue
            }
            used.insert(index)
            let want = example.lines.map(Self.normalize).filter { !$0.isEmpty }
            let got = printed[index].lines.map(Self.normalize).filter { !$0.isEmpty }
            #expect(want == got, "\(document): example `\(example.command)` differs from the demo's output:\n\(printed[index].lines.joined(separator: "\n"))")
        }
    }
}
