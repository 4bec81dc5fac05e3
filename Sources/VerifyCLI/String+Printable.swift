import VerifyProtocol

extension String {
    /// This text with its control characters escaped, for text output to a person
    /// (`PrintableText`). JSON output uses the exact text.
    var printable: String { PrintableText.escaped(self) }
}
