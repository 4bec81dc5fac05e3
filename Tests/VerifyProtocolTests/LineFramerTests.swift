import Foundation
import Testing
import VerifyProtocol

struct LineFramerTests {
    static let stream = Array("{\"id\":1,\"cmd\":\"status\"}\n{\"id\":2}\r\n\n{\"id\":3,\"cmd\":\"ping\"}\n".utf8)

    @Test func framesAreTheSameWhereverTheStreamIsSplit() {
        var whole = LineFramer()
        let expected = whole.append(Self.stream)
        #expect(expected.count == 4)
        #expect(expected[1] == .line(Array("{\"id\":2}".utf8)), "CR before LF is dropped")
        for split in 0...Self.stream.count {
            var framer = LineFramer()
            let frames = framer.append(Self.stream[..<split]) + framer.append(Self.stream[split...])
            #expect(frames == expected, "split at \(split)")
        }
        var bytewise = LineFramer()
        #expect(Self.stream.flatMap { bytewise.append([$0]) } == expected)
    }

    @Test func aTooLongLineIsReportedOnceAndSkippedToItsEnd() {
        var framer = LineFramer(limit: 8)
        let frames = framer.append(Array("0123456789abcdef\nok\n".utf8))
        #expect(frames == [.tooLong, .line(Array("ok".utf8))])
        #expect(framer.append(Array(repeating: UInt8(ascii: "x"), count: 100)) == [.tooLong])
        #expect(framer.pendingCount == 0, "nothing of a skipped line is kept")
        #expect(framer.append(Array("tail\nnext\n".utf8)) == [.line(Array("next".utf8))])
    }

    @Test func repliesRoundTripAndCarryTheVersion() throws {
        let line = WireProtocol.line(Reply.success(id: 7, PingResult()))
        #expect(line.last == 0x0A)
        #expect(!line.dropLast().contains(0x0A), "one line")
        let head = try JSONDecoder().decode(ReplyHead.self, from: Data(line))
        #expect(head.v == WireProtocol.version)
        #expect(head.id == 7)
        #expect(head.ok)
        let error = WireProtocol.line(Reply<PingResult>.failure(id: nil, WireError(.notAuthorized, "no\nway")))
        #expect(!error.dropLast().contains(0x0A), "newlines in messages are escaped")
        #expect(String(decoding: error, as: UTF8.self).contains("\"code\":\"not_authorized\""))
    }
}
