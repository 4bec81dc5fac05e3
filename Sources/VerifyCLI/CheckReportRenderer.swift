import ArchiveReading
import VerifyCore
import VerifyProtocol

/// Turns a verification report into the human report or the JSON object of `verifyctl check`.
struct CheckReportRenderer {
    var archive: String
    var manifestPath: String?
    var manifestFormat: ManifestFormat?
    var manifestEntries: Int?
    var result: CheckResult
    var seed: UInt64
    var sample: SamplePolicy
    var format: String?
    var filters: [String]
    var fileSize: Int64
    var bytesRead: Int64
    var durationSeconds: Double
    var archiveDigest: (expected: Digest, source: String, actual: Digest?)?
    var warnings: [String]
    var strict: Bool
    var singleStream: SingleStreamReport?
    /// The archive came as a stream (`verifyctl check -`): its bytes and their SHA-256 (nil
    /// when it was not read to its end, or was damaged).
    var input: (bytes: Int64, sha256: Digest?)?
    /// The manifest's signature, when one was checked: the key and the trusted comment, or why not.
    var signature: SignatureOutcome?
    /// With `--index`: what was done with the seek index.
    var seekIndex: String?

    init(report: VerificationReport, manifestPath: String?) {
        archive = report.request.archivePath
        self.manifestPath = manifestPath
        manifestFormat = report.request.manifest?.format
        manifestEntries = report.request.manifest?.entries.count
        result = report.result
        seed = report.request.seed
        sample = report.request.sample
        format = report.format
        filters = report.filters
        fileSize = report.fileSize
        bytesRead = report.bytesRead
        durationSeconds = report.durationSeconds
        archiveDigest = report.request.archiveDigest.map { ($0.digest, $0.source, report.archiveDigestActual) }
        warnings = report.warnings
        strict = report.request.checkOptions.strict
        singleStream = report.singleStream
    }

    /// A report for a run that could not start (bad manifest, unreadable sidecar).
    static func errorReport(archive: String, message: String, seed: UInt64) -> CheckReportRenderer {
        var renderer = CheckReportRenderer(
            report: .notStarted(VerificationRequest(archivePath: archive, manifest: nil, seed: seed), error: message),
            manifestPath: nil)
        renderer.archiveDigest = nil
        return renderer
    }

    private var throughput: Double { durationSeconds > 0 ? Double(bytesRead) / durationSeconds : 0 }

    // MARK: Text

    /// The human report, written line by line (a failure is three lines at most).
    func text<Out: TextOutputStream>(to out: inout Out) {
        for (label, value) in sourceRows + scopeRows { Self.write(row: label, value, to: &out) }
        writeFindings(to: &out)
        Self.write(line: "", to: &out)
        Self.write(row: "result", resultText, to: &out)
        if let input {
            let digest = input.sha256.map { "sha256 \($0.hex)" } ?? "no sha256 (not read to its end, or damaged)"
            Self.write(row: "input", "a stream of \(input.bytes) bytes, \(digest)", to: &out)
        }
        Self.write(row: "read", "\(NumberText.bytes(bytesRead)) in \(NumberText.fixed(durationSeconds, 2)) s (\(NumberText.bytes(Int64(throughput)))/s)", to: &out)
    }

    /// Every line is one line: names from the archive and the manifest have their control
    /// characters escaped, so an ESC sequence in an entry name never reaches the terminal.
    private static func write<Out: TextOutputStream>(line text: String, to out: inout Out) {
        out.write(PrintableText.escaped(text) + "\n")
    }

    private static func write<Out: TextOutputStream>(row label: String, _ value: String, to out: inout Out) {
        write(line: label.padding(9) + " " + value, to: &out)
    }

    /// What was read against what: the archive, the manifest, the whole file's digest, the
    /// manifest's signature.
    private var sourceRows: [(String, String)] {
        var rows = [(String, String)]()
        var what = [String]()
        if let format { what.append(format) }
        what += filters
        rows.append(("archive", "\(archive)" + (what.isEmpty ? "" : " (\(what.joined(separator: ", ")), \(NumberText.bytes(fileSize)))")))
        if let manifestPath, let manifestFormat, let manifestEntries {
            rows.append(("manifest", "\(manifestPath) (\(manifestFormat.rawValue), \(manifestEntries) entries)"))
        } else if result.verdict != .error || result.entriesSeen > 0 {
            rows.append(("manifest", "none: integrity check only (every entry read to its end)"))
        }
        if let archiveDigest {
            let state: String
            if let actual = archiveDigest.actual {
                state = actual == archiveDigest.expected ? "matches" : "DOES NOT MATCH"
            } else {
                state = "not checked (the archive was not read to its end)"
            }
            rows.append(("digest", "\(archiveDigest.source): \(archiveDigest.expected.algorithm.rawValue) of the whole file \(state)"))
        }
        switch signature {
        case .verified(let verified)?:
            rows.append(("signed", "by trusted key \(verified.keyID) (\(verified.keySource))" + (verified.trustedComment.map { ", trusted comment: \($0)" } ?? "")))
        case .invalid(let reason)?: rows.append(("signed", "NOT VERIFIED: \(reason)"))
        case nil: break
        }
        return rows
    }

    /// What the run covered: the sample, the counts, the single stream, warnings, the index.
    private var scopeRows: [(String, String)] {
        var rows = [(String, String)]()
        if let manifestEntries {
            let policy = sample == .all ? "all \(result.selected) entries" : "\(result.selected) of \(manifestEntries) entries (\(sample))"
            rows.append(("sample", "\(policy), seed \(seed)"))
        } else {
            rows.append(("seed", "\(seed)"))
        }
        if result.verdict != .error || result.entriesSeen > 0 {
            var checked = "\(result.checked) entries checked, \(result.entriesSeen) in the archive, \(result.entriesRead) read (\(NumberText.bytes(result.contentBytes)) of content)"
            if manifestEntries != nil { checked += ", \(result.unexpectedCount) unexpected" }
            rows.append(("checked", checked))
        }
        if let singleStream {
            rows.append(("stream", "one stream of \(NumberText.bytes(singleStream.contentBytes)), not an archive: " + singleStream.checks.joined(separator: "; ")))
            if let dump = singleStream.dump {
                rows.append(("dump", "\(dump.rawValue): " + (singleStream.dumpComplete == true ? "ends as \(dump.rawValue) ends a dump" : "its end is MISSING")))
            }
        }
        rows += warnings.prefix(5).map { ("warning", $0) }
        if let seekIndex { rows.append(("index", seekIndex)) }
        if !result.notVerified.isEmpty {
            rows.append(("note", "\(result.notVerified.count) hard links not verified: their data is in an entry outside the sample"))
        }
        return rows
    }

    /// The findings, three lines at most each, then the unexpected entries (without --strict).
    private func writeFindings<Out: TextOutputStream>(to out: inout Out) {
        if !result.findings.isEmpty { Self.write(line: "", to: &out) }
        for finding in result.findings {
            Self.write(line: "FAIL " + finding.kind.rawValue.padding(18) + " " + (finding.path?.description ?? (finding.kind == .signatureInvalid ? "(the manifest)" : "(the archive)")), to: &out)
            if let expected = finding.expected { Self.write(line: "       expected " + expected, to: &out) }
            if let actual = finding.actual { Self.write(line: "       actual   " + actual, to: &out) }
        }
        if !strict, result.unexpectedCount > 0 {
            Self.write(line: "", to: &out)
            let shown = result.unexpected.prefix(10).map(\.description).joined(separator: ", ")
            let more = result.unexpectedCount > 10 ? ", and \(result.unexpectedCount - 10) more" : ""
            Self.write(line: "unexpected (not in the manifest; a failure only with --strict): \(shown)\(more)", to: &out)
        }
    }

    /// The `result` row: the verdict, with the failures by kind or the error.
    private var resultText: String {
        switch result.verdict {
        case .pass:
            return "PASS"
        case .fail:
            var counts = [FindingKind: Int]()
            for finding in result.findings { counts[finding.kind, default: 0] += 1 }
            let summary = FindingKind.allCases.compactMap { kind in counts[kind].map { "\(kind.rawValue) \($0)" } }.joined(separator: ", ")
            return "FAIL: \(result.findings.count) \(result.findings.count == 1 ? "failure" : "failures") (\(summary))"
        case .error, .interrupted:
            return "ERROR: \(result.error ?? "could not verify")"
        }
    }

    // MARK: JSON

    /// The JSON object, written member by member: the failures one at a time, so that a
    /// million of them are never one value in memory.
    func json<Out: TextOutputStream>(to out: inout Out) {
        out.write("{")
        for (index, (key, value)) in (sourceMembers + countMembers).enumerated() {
            if index > 0 { out.write(",") }
            JSONValue.writeKey(key, to: &out)
            guard key == "failures" else {
                value.write(to: &out)
                continue
            }
            out.write("[")
            for (number, finding) in result.findings.enumerated() {
                if number > 0 { out.write(",") }
                CheckReportRenderer.json(finding: finding).write(to: &out)
            }
            out.write("]")
        }
        out.write("}")
    }

    /// The verdict and what was read against what (manifest, digest, signature, input stream).
    private var sourceMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("result", .string(result.verdict.rawValue)),
            ("archive", .string(archive)),
            ("format", format.map(JSONValue.string) ?? .null),
            ("filters", .array(filters.map(JSONValue.string))),
        ]
        if let manifestPath, let manifestFormat, let manifestEntries {
            members.append(("manifest", .object([
                ("path", .string(manifestPath)), ("format", .string(manifestFormat.rawValue)), ("entries", .integer(Int64(manifestEntries))),
            ])))
        } else {
            members.append(("manifest", .null))
        }
        if let archiveDigest {
            members.append(("archiveDigest", .object([
                ("source", .string(archiveDigest.source)),
                ("algorithm", .string(archiveDigest.expected.algorithm.rawValue)),
                ("expected", .string(archiveDigest.expected.hex)),
                ("actual", archiveDigest.actual.map { .string($0.hex) } ?? .null),
                ("matches", archiveDigest.actual.map { .bool($0 == archiveDigest.expected) } ?? .null),
            ])))
        } else {
            members.append(("archiveDigest", .null))
        }
        if let signature { members.append(("signature", Self.signatureJSON(signature))) }
        if let input {
            members.append(("input", .object([("stream", .bool(true)), ("bytes", .integer(input.bytes)), ("sha256", input.sha256.map { .string($0.hex) } ?? .null)])))
        }
        return members
    }

    /// The sample and the counts; `failures` is a placeholder that `json(to:)` streams.
    private var countMembers: [(String, JSONValue)] {
        [
            ("sample", .string(sample == .all ? "all" : sample.description)),
            ("seed", .string(String(seed))),
            ("selected", .integer(Int64(result.selected))),
            ("checked", .integer(Int64(result.checked))),
            ("entries", .integer(Int64(result.entriesSeen))),
            ("entriesRead", .integer(Int64(result.entriesRead))),
            ("failures", .null),  // streamed by json(to:)
            ("unexpected", .array(result.unexpected.map { .string($0.description) })),
            ("unexpectedCount", .integer(Int64(result.unexpectedCount))),
            ("notVerified", .array(result.notVerified.map { .string($0.description) })),
            ("error", result.error.map(JSONValue.string) ?? .null),
            ("warnings", .array(warnings.map(JSONValue.string))),
            ("bytesRead", .integer(bytesRead)),
            ("seekIndex", seekIndex.map(JSONValue.string) ?? .null),
            ("contentBytes", .integer(result.contentBytes)),
            ("durationSeconds", .number((durationSeconds * 1e6).rounded() / 1e6)),
            ("singleStream", singleStream.map { stream in
                .object([
                    ("checks", .array(stream.checks.map(JSONValue.string))),
                    ("contentBytes", .integer(stream.contentBytes)),
                    ("dump", stream.dump.map { .string($0.rawValue) } ?? .null),
                    ("dumpComplete", stream.dumpComplete.map(JSONValue.bool) ?? .null),
                ])
            } ?? .null),
        ]
    }

    static func json(finding: Finding) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("path", finding.path.map { .string($0.description) } ?? .null),
            ("kind", .string(finding.kind.rawValue)),
            ("expected", finding.expected.map(JSONValue.string) ?? .null),
            ("actual", finding.actual.map(JSONValue.string) ?? .null),
        ]
        if let path = finding.path, path.string == nil {
            members.append(("pathHex", .string(Hex.encode(path.bytes))))
        }
        return .object(members)
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

extension CheckReportRenderer {
    /// The `signature` member of the JSON report.
    static func signatureJSON(_ signature: SignatureOutcome) -> JSONValue {
        switch signature {
        case .verified(let verified):
            .object([
                ("verified", .bool(true)), ("keyId", .string(verified.keyID)), ("keyFile", .string(verified.keySource)),
                ("trustedComment", verified.trustedComment.map(JSONValue.string) ?? .null),
            ])
        case .invalid(let reason): .object([("verified", .bool(false)), ("reason", .string(reason))])
        }
    }
}
