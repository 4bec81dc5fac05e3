import Testing
import VerifyCore

/// Which text dumps are recognised and when they count as ended (the texts are the producers'
/// own first and last lines, as PostgreSQL 15.18 and MariaDB 10.11.19 write them).
@Suite struct DumpCompletionTests {
    static let key = "4B8SUn8CP42oxRDlSB7C5X0xIekW6VT5Tmx5J0bTiSFyUvRvHGWgoAefhG0mdj5"
    static let pgHead = "--\n-- PostgreSQL database dump\n--\n\n\\restrict \(key)\n\n-- Dumped from database version 15.18\n"
    static let pgEnd = "\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict \(key)\n\n"
    static let clusterHead = "--\n-- PostgreSQL database cluster dump\n--\n\n\\restrict abc\n\nSET default_transaction_read_only = off;\n"
    static let clusterEnd = "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict def\n\n--\n-- PostgreSQL database cluster dump complete\n--\n\n"
    static let mariaHead = "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n"
    static let mysqlHead = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost\n"

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func producersAreKnownByTheirFirstLines() {
        #expect(DumpCompletion.producer(head: Self.bytes(Self.pgHead)) == .pgDump)
        #expect(DumpCompletion.producer(head: Self.bytes(Self.clusterHead)) == .pgDumpall)
        #expect(DumpCompletion.producer(head: Self.bytes(Self.mariaHead)) == .mysqldump)
        #expect(DumpCompletion.producer(head: Self.bytes(Self.mysqlHead)) == .mysqldump)
        // PostgreSQL before 15.14 wrote no \restrict line.
        #expect(DumpCompletion.producer(head: Self.bytes("--\n-- PostgreSQL database dump\n--\n\nSET x = 0;\n")) == .pgDump)
        for other in ["1\n2\n3\n", "", "-- PostgreSQL database dump\n", "CREATE TABLE t (a int);\n", "--\n-- PostgreSQL database dump"] {
            #expect(DumpCompletion.producer(head: Self.bytes(other)) == nil, "\(other)")
        }
    }

    @Test func completeDumpsPass() {
        let body = "COPY public.t (a) FROM stdin;\n1\n\\.\n"
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.pgHead), tail: Self.bytes(body + Self.pgEnd)) == .complete(.pgDump))
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.clusterHead), tail: Self.bytes(Self.clusterEnd)) == .complete(.pgDumpall))
        let dated = "UNLOCK TABLES;\n\n-- Dump completed on 2026-12-07 16:14:05\n"
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.mariaHead), tail: Self.bytes(dated)) == .complete(.mysqldump))
        // --skip-dump-date: the line stays, without its date.
        let undated = "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n-- Dump completed\n"
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.mysqlHead), tail: Self.bytes(undated)) == .complete(.mysqldump))
        // Older pg_dump: no \unrestrict line, and none expected.
        let old = "--\n-- PostgreSQL database dump\n--\n\nSET x = 0;\n"
        #expect(DumpCompletion.inspect(head: Self.bytes(old), tail: Self.bytes("SET x = 0;\n\n--\n-- PostgreSQL database dump complete\n--\n\n")) == .complete(.pgDump))
        // Windows line ends.
        let crlf = "--\r\n-- PostgreSQL database dump\r\n--\r\n"
        #expect(DumpCompletion.inspect(head: Self.bytes(crlf), tail: Self.bytes("--\r\n-- PostgreSQL database dump complete\r\n--\r\n")) == .complete(.pgDump))
    }

    @Test func dumpsCutShortAreTruncated() {
        let cut = "COPY public.t (a, b) FROM stdin;\n1\tabc\n2\tde"
        guard case .truncated(let producer, let shown) = DumpCompletion.inspect(head: Self.bytes(Self.pgHead), tail: Self.bytes(cut)) else {
            Issue.record("not truncated")
            return
        }
        #expect(producer == .pgDump)
        #expect(shown == "COPY public.t (a, b) FROM stdin;\\n1\\tabc\\n2\\tde")
        // pg_dumpall: a database's own end inside it is not the cluster's end.
        let inner = "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict def\n\n"
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.clusterHead), tail: Self.bytes(inner)) == .truncated(.pgDumpall, lastBytes: DumpCompletion.shown(Self.bytes(inner))))
        // The end marker's line itself cut (no newline), or the \unrestrict line cut or another key.
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.mariaHead), tail: Self.bytes("-- Dump completed on 2026-12-")) != .complete(.mysqldump))
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.mariaHead), tail: Self.bytes("-- Dump completed on 2026-12-07 16:14:05\nINSERT INTO t VALUES (1);\n")) != .complete(.mysqldump))
        let pgCutInKey = "\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict 4B8SUn8C"
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.pgHead), tail: Self.bytes(pgCutInKey)) != .complete(.pgDump))
        let otherKey = "\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict XYZ\n"
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.pgHead), tail: Self.bytes(otherKey)) != .complete(.pgDump))
        #expect(DumpCompletion.inspect(head: Self.bytes(Self.pgHead), tail: []) != .complete(.pgDump))
    }

    @Test func notADumpIsNotJudged() {
        #expect(DumpCompletion.inspect(head: Self.bytes("1\n2\n"), tail: Self.bytes("199999\n200000\n")) == .notADump)
        #expect(DumpCompletion.inspect(head: [0x00, 0xFF, 0x0A, 0x80], tail: [0x0A]) == .notADump)
    }

    @Test func theLastBytesAreShownEscapedAndBounded() {
        #expect(DumpCompletion.shown(Array("a\u{1B}[31mb\u{7F}\\".utf8)) == "a\\x1b[31mb\\x7f\\\\")
        #expect(DumpCompletion.shown([0x41, 0xFF, 0xC3]) == "A\\xff\\xc3")
        // A C1 control in UTF-8 is escaped byte by byte; other letters are kept.
        #expect(DumpCompletion.shown(Array("é\u{85}z".utf8)) == "é\\xc2\\x85z")
        let long = Array(String(repeating: "é", count: 200).utf8)
        let shown = DumpCompletion.shown(long)
        #expect(shown.hasPrefix("…"))
        #expect(shown.dropFirst().allSatisfy { $0 == "é" })
        #expect(shown.utf8.count <= DumpCompletion.shownLimit + 3)
    }

    @Test func aStreamsContentIsNamedWithoutItsCompressionSuffix() {
        #expect(SingleStream.contentName(archivePath: "/b/db.sql.gz", manifestPaths: []) == EntryPath("db.sql"))
        #expect(SingleStream.contentName(archivePath: "/b/all.sql.zst", manifestPaths: [EntryPath("all.sql")]) == EntryPath("all.sql"))
        #expect(SingleStream.contentName(archivePath: "/b/disk.img.xz", manifestPaths: [EntryPath("-")]) == EntryPath("-"))
        #expect(SingleStream.contentName(archivePath: "/b/db.sql", manifestPaths: [EntryPath("a"), EntryPath("-")]) == EntryPath("db.sql"))
        #expect(SingleStream.contentName(archivePath: ".gz", manifestPaths: []) == EntryPath(".gz"))
        #expect(SingleStream.manifestNamesTheFile(archivePath: "/b/db.sql.gz", manifestPaths: [EntryPath("db.sql.gz")]))
        #expect(!SingleStream.manifestNamesTheFile(archivePath: "/b/db.sql.gz", manifestPaths: [EntryPath("db.sql")]))
    }
}
