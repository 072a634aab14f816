/// The provider-neutral answer of one successful call.
package struct CompletionResponse: Sendable, Hashable {
    /// Why the model stopped, mapped from each provider's own vocabulary.
    package enum FinishReason: String, Sendable, Hashable, Codable {
        case stop
        case length
        case contentFilter = "content_filter"
        case other
    }

    /// Tokens billed for the call, as the provider reported them.
    ///
    /// Guarantees: a count made by ``init(inputTokens:outputTokens:)`` is never negative (a
    /// negative report counts as 0), and ``add(_:)`` saturates instead of overflowing, so a
    /// provider's absurd count (`9223372036854775807`) cannot trap a job's running total.
    package struct Usage: Sendable, Hashable {
        package var inputTokens: Int
        package var outputTokens: Int

        package init(inputTokens: Int, outputTokens: Int) {
            self.inputTokens = max(0, inputTokens)
            self.outputTokens = max(0, outputTokens)
        }

        /// Adds `other`'s counts to these, stopping at `Int.max`.
        package mutating func add(_ other: Usage) {
            inputTokens = Self.saturatingSum(inputTokens, other.inputTokens)
            outputTokens = Self.saturatingSum(outputTokens, other.outputTokens)
        }

        private static func saturatingSum(_ a: Int, _ b: Int) -> Int {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? (b < 0 ? Int.min : Int.max) : sum
        }
    }

    package var text: String
    package var finishReason: FinishReason
    package var usage: Usage
    /// The provider's own id for the request, for support tickets; `nil` when it sends none.
    package var providerRequestID: String?

    package init(text: String, finishReason: FinishReason, usage: Usage, providerRequestID: String? = nil) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
        self.providerRequestID = providerRequestID
    }
}
