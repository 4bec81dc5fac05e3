import VerifyProtocol

/// The symbol and word of each state on the report page: readable without colour.
enum ReportSymbols {
    static func state(_ state: DestinationState) -> (symbol: String, word: String) {
        switch state {
        case .ok: ("✓", "OK")
        case .failing: ("✗", "FAILING")
        case .stale: ("⌛", "STALE")
        case .unavailable: ("⚠", "UNAVAILABLE")
        case .pending: ("…", "PENDING")
        }
    }

    static func day(_ state: DayState) -> (symbol: String, word: String) {
        switch state {
        case .pass: ("✓", "pass")
        case .fail: ("✗", "FAIL")
        case .error: ("⚠", "error")
        case .stale: ("⌛", "stale")
        case .noRun: ("·", "no run")
        case .notInReport: ("?", "not in report")
        }
    }

    static func verdict(_ verdict: RunVerdict) -> (symbol: String, word: String) {
        switch verdict {
        case .pass: ("✓", "pass")
        case .fail: ("✗", "FAIL")
        case .error: ("⚠", "ERROR")
        default: ("·", verdict.description)
        }
    }

    /// The legend, as HTML.
    static var legend: String {
        DayState.allCases.map { state in
            let (symbol, word) = day(state)
            return "<span class=\"day-key day-\(state.rawValue)\">\(symbol) \(word)</span>"
        }.joined(separator: " ")
    }
}
