import CIsal

/// Inflates gzip with Intel ISA-L (`isal_inflate`, gzip wrapper parsed and each member's CRC-32
/// and ISIZE verified by the library), member by member, with the same contract and messages as
/// the zlib decoder.
final class IsalGzipInflater: GzipDecoder {
    private let state: UnsafeMutablePointer<inflate_state>
    private(set) var atMemberEnd = false
    private(set) var membersFinished = 0

    init() {
        state = .allocate(capacity: 1)
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
    }

    deinit { state.deallocate() }

    func inflate(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) -> GzipStep {
        if atMemberEnd {
            isal_inflate_reset(state)
            state.pointee.crc_flag = UInt32(ISAL_GZIP)
            atMemberEnd = false
        }
        state.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        state.pointee.avail_in = UInt32(input.count)
        state.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_out = UInt32(output.count)
        let status = isal_inflate(state)
        let consumed = input.count - Int(state.pointee.avail_in)
        let produced = output.count - Int(state.pointee.avail_out)
        let member = membersFinished + 1
        switch status {
        case ISAL_DECOMP_OK, ISAL_END_INPUT, ISAL_OUT_OVERFLOW:
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                atMemberEnd = true
                membersFinished += 1
            }
            return .progress(consumed: consumed, produced: produced)
        case ISAL_INCORRECT_CHECKSUM:
            return .damaged(trailerMessage(input, consumed: consumed, member: member), produced: produced)
        case ISAL_INVALID_WRAPPER:
            return .damaged("gzip member \(member): incorrect header", produced: produced)
        case ISAL_UNSUPPORTED_METHOD:
            return .damaged("gzip member \(member): unknown compression method", produced: produced)
        case ISAL_INVALID_BLOCK:
            return .damaged("gzip member \(member): invalid block type", produced: produced)
        case ISAL_INVALID_SYMBOL:
            return .damaged("gzip member \(member): invalid code in the deflate data", produced: produced)
        case ISAL_INVALID_LOOKBACK:
            return .damaged("gzip member \(member): invalid distance too far back", produced: produced)
        default:
            return .damaged("gzip member \(member): ISA-L status \(status)", produced: produced)
        }
    }

    /// Which trailer field disagrees: the 8 trailer bytes end where the input was consumed.
    private func trailerMessage(_ input: UnsafeRawBufferPointer, consumed: Int, member: Int) -> String {
        guard consumed >= 8 else { return "gzip member \(member): CRC-32 or ISIZE in the trailer does not match the data" }
        func le32(_ at: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(input[at + $1]) << (8 * UInt32($1)) }
        }
        let crc = le32(consumed - 8)
        let isize = le32(consumed - 4)
        if crc != state.pointee.crc {
            return "gzip member \(member): CRC-32 in the trailer does not match the data"
        }
        if isize != UInt32(truncatingIfNeeded: state.pointee.total_out) {
            return "gzip member \(member): length (ISIZE) in the trailer does not match the data"
        }
        return "gzip member \(member): CRC-32 or ISIZE in the trailer does not match the data"
    }
}
