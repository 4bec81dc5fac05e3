import Foundation
import VerifyProtocol

/// The `status` reply line, put together from each destination's JSON kept from the last reply:
/// a destination whose status is the same as then (no run of it, no change, the same state) is
/// not encoded again. Encoding the whole host's reply was most of what a `status` cost the
/// daemon (`perf` on a host of 100 destinations: 63% of its CPU while `status` was asked back
/// to back); a reply now encodes only what changed since the last one. The line is the same,
/// byte for byte, as the whole reply encoded at once (StatusReplyTests compares them).
extension Daemon {
    /// A destination's status as last encoded, and its JSON.
    struct EncodedStatus: Sendable {
        var status: DestinationStatus
        var json: [UInt8]
    }

    public func statusReply(_ arguments: StatusArguments, id: Int64?) async throws(WireError) -> [UInt8] {
        let result = try await status(arguments)
        let encoder = WireProtocol.encoder()
        guard let daemon = try? encoder.encode(result.daemon) else {
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
            guard let json = encoded(destination, encoder) else {
                return WireProtocol.line(Reply<StatusResult>.success(id: id, result))
            }
            line += json
        }
        line += Array("]},\"v\":\(WireProtocol.version)}\n".utf8)
        return line
    }

    /// The destination's status as JSON: kept from the last reply when it is the same.
    func encoded(_ status: DestinationStatus, _ encoder: JSONEncoder) -> [UInt8]? {
        if let kept = statusEncoded[status.name], kept.status == status { return kept.json }
        guard let json = try? [UInt8](encoder.encode(status)) else { return nil }
        statusEncodings += 1
        statusEncoded[status.name] = EncodedStatus(status: status, json: json)
        return json
    }
}
