import Foundation
import VerifyProtocol

/// The `status` reply line, put together from each destination's JSON kept from the last reply:
/// a destination whose status is the same as then (no run of it, no change, the same state) is
/// not encoded again. Encoding the whole host's reply was most of what a `status` cost the
/// daemon (`perf` on a host of 100 destinations: 63% of its CPU while `status` was asked back
/// to back); a reply now encodes only what changed since the last one (a destination with a run
/// queued or running shows `nextRun` = now: its kept JSON is joined around the reply's time). The line is the same,
/// byte for byte, as the whole reply encoded at once (StatusReplyTests compares them).
extension Daemon {
    /// A destination's status as last encoded, and its JSON: one piece, or two to be joined by
    /// the reply's time (`nextRun` is "now" while a run of the destination is queued or running,
    /// and now changes at every request).
    struct EncodedStatus: Sendable {
        var status: DestinationStatus
        var pieces: [[UInt8]]
    }

    /// Stands for the request's time in a kept status (no real time is this).
    static let nowStandIn: Double = -1.25e300

    public func statusReply(_ arguments: StatusArguments, id: Int64?) async throws(WireError) -> [UInt8] {
        let result = try await status(arguments)
        let encoder = WireProtocol.encoder()
        guard let daemon = try? encoder.encode(result.daemon) else {
            return WireProtocol.line(Reply<StatusResult>.success(id: id, result))
        }
        guard let now = try? [UInt8](encoder.encode(result.daemon.now)) else {
            return WireProtocol.line(Reply<StatusResult>.success(id: id, result))
        }
        // `Reply` and `StatusResult` with sorted keys: id, ok, result (daemon, destinations), v.
        var line = Array("{".utf8)
        if let id { line += Array("\"id\":\(id),".utf8) }
        line += Array("\"ok\":true,\"result\":{\"daemon\":".utf8)
        line += daemon
        line += Array(",\"destinations\":[".utf8)
        for (index, destination) in result.destinations.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            guard let pieces = encoded(destination, now: result.daemon.now, encoder) else {
                return WireProtocol.line(Reply<StatusResult>.success(id: id, result))
            }
            line += pieces[0]
            for piece in pieces.dropFirst() { line += now + piece }
        }
        line += Array("]},\"v\":\(WireProtocol.version)}\n".utf8)
        return line
    }

    /// The destination's status as JSON, in pieces to be joined by the reply's time: kept from
    /// the last reply when it is the same (but for that time).
    func encoded(_ status: DestinationStatus, now: Double, _ encoder: JSONEncoder) -> [[UInt8]]? {
        var kept = status
        if kept.nextRun == now { kept.nextRun = Self.nowStandIn }
        if let last = statusEncoded[status.name], last.status == kept { return last.pieces }
        guard let json = try? [UInt8](encoder.encode(kept)) else { return nil }
        var pieces = [json]
        if kept.nextRun == Self.nowStandIn {
            // `"nextRun":` with its quotes is a key: inside a string they would be escaped.
            guard let standIn = try? [UInt8](encoder.encode(Self.nowStandIn)),
                let at = Self.range(of: Array("\"nextRun\":".utf8) + standIn, in: json)
            else { return nil }
            pieces = [Array(json[..<(at.upperBound - standIn.count)]), Array(json[at.upperBound...])]
        }
        statusEncodings += 1
        statusEncoded[status.name] = EncodedStatus(status: kept, pieces: pieces)
        return pieces
    }

    /// Where `pattern` first occurs in `bytes`.
    static func range(of pattern: [UInt8], in bytes: [UInt8]) -> Range<Int>? {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return nil }
        for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
            if bytes[start..<(start + pattern.count)].elementsEqual(pattern) { return start..<(start + pattern.count) }
        }
        return nil
    }
}
