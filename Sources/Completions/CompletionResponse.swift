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
    /// `inputTokens` counts every input token, cached or not; `cacheReadTokens` (read from the
    /// provider's prompt cache) and `cacheWriteTokens` (written to it) are the parts of it billed
    /// at the cache prices, so the plain input is `inputTokens` minus both.
    ///
    /// Guarantees: a count made by ``init(inputTokens:outputTokens:cacheReadTokens:cacheWriteTokens:)``
    /// is never negative (a negative report counts as 0) and the cache counts never add up to more
    /// than `inputTokens` (they are cut down to it), and ``add(_:)`` saturates instead of
    /// overflowing, so a provider's absurd count (`9223372036854775807`) cannot trap a job's
    /// running total.
    package struct Usage: Sendable, Hashable {
        package var inputTokens: Int
        package var outputTokens: Int
        /// Input tokens read from the prompt cache.
        package var cacheReadTokens: Int
        /// Input tokens written to the prompt cache.
        package var cacheWriteTokens: Int

        package init(inputTokens: Int, outputTokens: Int, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0) {
            self.inputTokens = max(0, inputTokens)
            self.outputTokens = max(0, outputTokens)
            let read = min(max(0, cacheReadTokens), self.inputTokens)
            self.cacheReadTokens = read
            self.cacheWriteTokens = min(max(0, cacheWriteTokens), self.inputTokens - read)
        }

        /// Usage reported in parts (Anthropic, Bedrock): plain input, cache reads and cache writes
        /// apart; `inputTokens` is their sum, stopping at `Int.max`.
        package init(plainInputTokens: Int, cacheReadTokens: Int, cacheWriteTokens: Int, outputTokens: Int) {
            let read = max(0, cacheReadTokens)
            let write = max(0, cacheWriteTokens)
            let input = Self.saturatingSum(Self.saturatingSum(max(0, plainInputTokens), read), write)
            self.init(inputTokens: input, outputTokens: outputTokens, cacheReadTokens: read, cacheWriteTokens: write)
        }

        /// Input tokens billed at the plain input price.
        package var uncachedInputTokens: Int {
            let input = max(0, inputTokens)
            let read = min(max(0, cacheReadTokens), input)
            return input - read - min(max(0, cacheWriteTokens), input - read)
        }

        /// Adds `other`'s counts to these, stopping at `Int.max`.
        package mutating func add(_ other: Usage) {
            inputTokens = Self.saturatingSum(inputTokens, other.inputTokens)
            outputTokens = Self.saturatingSum(outputTokens, other.outputTokens)
            cacheReadTokens = Self.saturatingSum(cacheReadTokens, other.cacheReadTokens)
            cacheWriteTokens = Self.saturatingSum(cacheWriteTokens, other.cacheWriteTokens)
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
