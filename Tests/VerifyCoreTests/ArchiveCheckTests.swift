import Testing
@testable import VerifyCore

/// Feeds entries to a check as a reader would: header, then content if asked for.
private func run(_ check: ArchiveCheck, _ entries: [(EntryHeader, [UInt8])], damage: String? = nil) -> CheckResult {
    for (header, data) in entries {
        switch check.beginEntry(header) {
        case .skip:
            check.endEntry(nil)
        case .read(let algorithms):
            var hasher = ContentHasher(algorithms: algorithms)
            data.withUnsafeBytes { hasher.update($0) }
            check.endEntry(EntryContent(digests: hasher.finalize(), byteCount: hasher.byteCount))
        }
    }
    return check.finish(archiveDamage: damage)
}

private func digest(_ bytes: [UInt8], _ algorithm: DigestAlgorithm = .sha256) -> Digest {
    var hasher = ContentHasher(algorithms: [algorithm])
    bytes.withUnsafeBytes { hasher.update($0) }
    return hasher.finalize()[0]
}

private func file(_ name: String, _ data: String, size: Int64? = nil) -> (EntryHeader, [UInt8]) {
    (EntryHeader(rawPath: Array(name.utf8), type: .file, size: size ?? Int64(data.utf8.count)), Array(data.utf8))
}

private func manifest(_ items: [(String, String)]) -> Manifest {
    Manifest(format: .sha256sum, entries: items.map { ManifestEntry(path: EntryPath($0.0), digests: [digest(Array($0.1.utf8))]) })
}

private func manifestWithSizes(_ items: [(String, String)]) -> Manifest {
    Manifest(format: .json, entries: items.map {
        ManifestEntry(path: EntryPath($0.0), type: .file, size: Int64($0.1.utf8.count), digests: [digest(Array($0.1.utf8))])
    })
}

@Suite struct ArchiveCheckTests {
    @Test func passWhenEverythingMatches() {
        let result = run(ArchiveCheck(manifest: manifest([("a", "1"), ("b/c", "22")])), [file("./a", "1"), file("b/c", "22")])
        #expect(result.verdict == .pass && result.checked == 2 && result.findings.isEmpty)
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let m = manifest([("a", "1"), ("b", "2"), ("c", "3")])
        let result = run(ArchiveCheck(manifest: m), [file("a", "X"), file("d", "4")])
        #expect(result.verdict == .fail)
        #expect(result.findings.map(\.kind) == [.contentMismatch, .missing, .missing])
        #expect(result.unexpected == [EntryPath("d")])
    }

    @Test func unexpectedFailsOnlyWhenStrict() {
        let entries = [file("a", "1"), file("extra", "x")]
        #expect(run(ArchiveCheck(manifest: manifest([("a", "1")])), entries).verdict == .pass)
        let strict = run(ArchiveCheck(manifest: manifest([("a", "1")]), options: .init(strict: true)), entries)
        #expect(strict.verdict == .fail && strict.findings.map(\.kind) == [.unexpected])
    }

    /// The list of unexpected names is cut short for people, but under --strict each one is a
    /// failure and all of them are counted and named.
    @Test func everyUnexpectedEntryIsAFailureWhenStrictBeyondTheListLimit() {
        let extra = CheckResult.unexpectedListLimit + 7
        let entries = [file("a", "1")] + (0..<extra).map { file("extra/\($0)", "x") }
        let lenient = run(ArchiveCheck(manifest: manifest([("a", "1")])), entries)
        #expect(lenient.verdict == .pass && lenient.unexpectedCount == extra)
        #expect(lenient.unexpected.count == CheckResult.unexpectedListLimit)
        let strict = run(ArchiveCheck(manifest: manifest([("a", "1")]), options: .init(strict: true)), entries)
        #expect(strict.findings.count == extra && strict.findings.allSatisfy { $0.kind == .unexpected })
        #expect(Set(strict.findings.compactMap(\.path)).count == extra)
        #expect(strict.unexpected.count == CheckResult.unexpectedListLimit && strict.unexpectedCount == extra)
    }

    @Test func sizeTypeLinkAndMetadata() {
        let m = Manifest(format: .mtree, entries: [
            ManifestEntry(path: EntryPath("s"), type: .file, size: 5, digests: [digest(Array("hello".utf8))]),
            ManifestEntry(path: EntryPath("t"), type: .directory),
            ManifestEntry(path: EntryPath("l"), type: .symlink, linkTarget: Array("x".utf8)),
            ManifestEntry(path: EntryPath("m"), type: .file, mode: 0o644, uid: 0, mtime: 10),
        ])
        let result = run(ArchiveCheck(manifest: m), [
            file("s", "hell"),
            file("t", ""),
            (EntryHeader(rawPath: Array("l".utf8), type: .symlink, symlinkTarget: Array("y".utf8)), []),
            (EntryHeader(rawPath: Array("m".utf8), type: .file, size: 0, mode: 0o600, uid: 0, mtime: 11), []),
        ])
        #expect(result.findings.map(\.kind) == [.linkMismatch, .metadataMismatch, .metadataMismatch, .sizeMismatch, .typeMismatch])
        #expect(result.findings[1].expected == "mode=0644" && result.findings[1].actual == "mode=0600")
    }

    @Test func damagedEntryAndArchive() {
        let check = ArchiveCheck(manifest: manifest([("a", "1")]))
        _ = check.beginEntry(file("a", "1").0)
        check.endEntry(EntryContent(digests: [], byteCount: 0, damage: "Truncated tar archive"))
        let result = check.finish(archiveDamage: "Truncated tar archive")
        #expect(result.findings.map(\.kind) == [.corruptArchive, .corruptArchive])
        #expect(result.findings[0].path == nil)
    }

    @Test func shortDataIsDamageEvenWithoutManifest() {
        let result = run(ArchiveCheck(manifest: nil), [file("a", "12", size: 5)])
        #expect(result.verdict == .fail && result.findings.first?.kind == .corruptArchive)
    }

    @Test func tarHardLinkTakesTheTargetsData() {
        let m = manifest([("a", "data"), ("b", "data")])
        let link = EntryHeader(rawPath: Array("b".utf8), type: .hardlink, size: 0, hardlinkTarget: Array("a".utf8))
        #expect(run(ArchiveCheck(manifest: m), [file("a", "data"), (link, [])]).verdict == .pass)
        // The link's content is checked: a target with other data fails both.
        let bad = run(ArchiveCheck(manifest: m), [file("a", "DATA"), (link, [])])
        #expect(bad.findings.map(\.kind) == [.contentMismatch, .contentMismatch])
    }

    /// A tar hard link sampled without its target: the data is in an entry that was not read, so
    /// the link is "not verified" (it was reported as a content mismatch of 0 bytes, or with a
    /// size in the manifest as a size mismatch).
    @Test(arguments: [false, true])
    func tarHardLinkSampledWithoutItsTargetIsNotVerified(withSizes: Bool) {
        let m = withSizes ? manifestWithSizes([("a", "data"), ("b", "data")]) : manifest([("a", "data"), ("b", "data")])
        let link = EntryHeader(rawPath: Array("b".utf8), type: .hardlink, size: 0, hardlinkTarget: Array("a".utf8))
        let result = run(ArchiveCheck(manifest: m, sample: [false, true]), [file("a", "data"), (link, [])])
        #expect(result.verdict == .pass, "\(result.findings)")
        #expect(result.notVerified == [EntryPath("b")])
        #expect(result.checked == 0)
        // With its target in the sample, it is checked, and fails with it.
        let bad = run(ArchiveCheck(manifest: m, sample: [true, true]), [file("a", "DATA"), (link, [])])
        #expect(bad.findings.map(\.kind) == [.contentMismatch, .contentMismatch])
    }

    @Test func cpioNewcHardLinkCarriesDataWithTheLastName() {
        let m = manifest([("a", "data"), ("b", "data"), ("c", "data")])
        let first = EntryHeader(rawPath: Array("a".utf8), type: .file, size: 0)
        let middle = EntryHeader(rawPath: Array("b".utf8), type: .hardlink, size: 0, hardlinkTarget: Array("a".utf8))
        let last = EntryHeader(rawPath: Array("c".utf8), type: .hardlink, size: 4, hardlinkTarget: Array("a".utf8))
        let result = run(ArchiveCheck(manifest: m), [(first, []), (middle, []), (last, Array("data".utf8))])
        #expect(result.verdict == .pass, "\(result.findings)")
    }

    @Test func aSampledCpioLinkNameGetsItsDataFromTheUnsampledLastName() {
        // Only "a" is in the sample; its data comes with "c", which must be read all the same.
        let m = manifest([("a", "data"), ("b", "data"), ("c", "data")])
        let first = EntryHeader(rawPath: Array("a".utf8), type: .file, size: 0)
        let middle = EntryHeader(rawPath: Array("b".utf8), type: .hardlink, size: 0, hardlinkTarget: Array("a".utf8))
        let last = EntryHeader(rawPath: Array("c".utf8), type: .hardlink, size: 4, hardlinkTarget: Array("a".utf8))
        let check = ArchiveCheck(manifest: m, sample: [true, false, false])
        let result = run(check, [(first, []), (middle, []), (last, Array("data".utf8))])
        #expect(result.verdict == .pass, "\(result.findings)")
        #expect(result.checked == 1)
        let bad = run(ArchiveCheck(manifest: m, sample: [true, false, false]), [(first, []), (middle, []), (last, Array("DATA".utf8))])
        #expect(bad.verdict == .fail && bad.findings.map(\.path) == [EntryPath("a")])
    }

    @Test func unicodeNormalisationMatchesWithoutMerging() {
        let nfc = "caf\u{e9}", nfd = "cafe\u{301}"
        #expect(Array(nfc.utf8) != Array(nfd.utf8))
        // The manifest says NFD (as written on macOS); libarchive hands back NFC.
        let m = manifest([(nfd, "x")])
        #expect(run(ArchiveCheck(manifest: m), [file(nfc, "x")]).verdict == .pass)
        // Two distinct manifest names that are canonically equal stay two: each needs its own entry.
        let both = manifest([(nfd, "x"), (nfc, "y")])
        let result = run(ArchiveCheck(manifest: both), [file(nfc, "y")])
        #expect(result.findings.map(\.kind) == [.missing])
        #expect(result.findings[0].path?.bytes == Array(nfd.utf8))
    }

    @Test func stripComponentsSkipsShortNames() {
        let result = run(
            ArchiveCheck(manifest: manifest([("etc/hosts", "h")]), options: .init(stripComponents: 1)),
            [(EntryHeader(rawPath: Array("backup/".utf8), type: .directory), []), file("backup/etc/hosts", "h")])
        #expect(result.verdict == .pass && result.unexpectedCount == 0)
    }

    @Test func sampleChecksOnlyTheChosen() {
        let m = manifest((0..<10).map { ("f\($0)", "\($0)") })
        let sample = SampleSelection.choose(m.entries.map(\.path), policy: .count(3), seed: 7)
        let result = run(ArchiveCheck(manifest: m, sample: sample), (0..<10).map { file("f\($0)", "wrong") })
        #expect(result.selected == 3 && result.checked == 3)
        #expect(result.findings.count == 3)
    }

    @Test func encryptedIsAnErrorNotAPass() {
        let check = ArchiveCheck(manifest: nil)
        _ = check.beginEntry(EntryHeader(rawPath: Array("a".utf8), type: .file, isEncrypted: true))
        check.endEntry(EntryContent(digests: [], byteCount: 0, damage: "Encrypted", encrypted: true))
        #expect(check.finish(archiveDamage: nil).verdict == .error)
    }
}

/// Feeds entries as a reader with a hashing thread does: up to `lag` entries are begun before
/// the oldest is ended (ends still in order).
private func runLagging(_ check: ArchiveCheck, _ entries: [(EntryHeader, [UInt8])], lag: Int) -> CheckResult {
    var waiting: [EntryContent?] = []
    for (header, data) in entries {
        switch check.beginEntry(header) {
        case .skip:
            waiting.append(nil)
        case .read(let algorithms):
            var hasher = ContentHasher(algorithms: algorithms)
            data.withUnsafeBytes { hasher.update($0) }
            waiting.append(EntryContent(digests: hasher.finalize(), byteCount: hasher.byteCount))
        }
        if waiting.count > lag { check.endEntry(waiting.removeFirst()) }
    }
    for content in waiting { check.endEntry(content) }
    return check.finish(archiveDamage: nil)
}

@Suite struct ArchiveCheckLaggingEndsTests {
    static let nfc = "caf\u{e9}", nfd = "cafe\u{301}"

    /// (name, manifest, entries in archive order)
    static let scenarios: [(String, Manifest, [(EntryHeader, [UInt8])])] = [
        ("all good", manifest([("a", "1"), ("b", "2"), ("c", "3")]), [file("a", "1"), file("b", "2"), file("c", "3")]),
        ("mismatch, missing, unexpected", manifest([("a", "1"), ("b", "2"), ("c", "3")]), [file("a", "X"), file("d", "4"), file("c", "3")]),
        ("the same name twice: the last wins", manifest([("a", "new")]), [file("a", "old"), file("b", "2"), file("a", "new")]),
        ("a canonical match, then the exact name", manifest([(nfd, "x")]), [file(nfc, "y"), file(nfd, "x")]),
        ("the exact name, then a canonical match", manifest([(nfd, "x")]), [file(nfd, "x"), file(nfc, "y")]),
        ("two canonical matches", manifest([(nfd, "x")]), [file(nfc, "y"), file("./" + nfc, "x")]),
        ("hard link before its data is ended", manifest([("a", "data"), ("b", "data")]), [
            file("a", "data"),
            (EntryHeader(rawPath: Array("b".utf8), type: .hardlink, size: 0, hardlinkTarget: Array("a".utf8)), []),
        ]),
    ]

    @Test(arguments: scenarios.map(\.0))
    func endsAfterLaterBeginsGiveTheSameResult(name: String) {
        let (_, m, entries) = Self.scenarios.first { $0.0 == name }!
        for strict in [false, true] {
            let expected = run(ArchiveCheck(manifest: m, options: .init(strict: strict)), entries)
            for lag in [1, 2, entries.count] {
                let lagging = runLagging(ArchiveCheck(manifest: m, options: .init(strict: strict)), entries, lag: lag)
                #expect(lagging.verdict == expected.verdict, "\(name), lag \(lag), strict \(strict)")
                #expect(lagging.findings == expected.findings, "\(name), lag \(lag), strict \(strict)")
                #expect(lagging.unexpected == expected.unexpected, "\(name), lag \(lag), strict \(strict)")
                #expect(lagging.checked == expected.checked)
            }
        }
    }
}
