/// The provider-neutral answer of one successful call.
public struct CompletionResponse: Sendable, Hashable {
    /// Why the model stopped, mapped from each provider's own vocabulary.
    public enum FinishReason: String, Sendable, Hashable, Codable {
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
    public struct Usage: Sendable, Hashable {
        public var inputTokens: Int
        public var outputTokens: Int

        public init(inputTokens: Int, outputTokens: Int) {
            self.inputTokens = max(0, inputTokens)
            self.outputTokens = max(0, outputTokens)
        }

        /// Adds `other`'s counts to these, stopping at `Int.max`.
        public mutating func add(_ other: Usage) {
            inputTokens = Self.saturatingSum(inputTokens, other.inputTokens)
            outputTokens = Self.saturatingSum(outputTokens, other.outputTokens)
        }

        private static func saturatingSum(_ a: Int, _ b: Int) -> Int {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? (b < 0 ? Int.min : Int.max) : sum
        }
    }

    public var text: String
    public var finishReason: FinishReason
    public var usage: Usage
    /// The provider's own id for the request, for support tickets; `nil` when it sends none.
    public var providerRequestID: String?

    public init(text: String, finishReason: FinishReason, usage: Usage, providerRequestID: String? = nil) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
        self.providerRequestID = providerRequestID
    }
}
