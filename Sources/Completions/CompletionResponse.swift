/// The provider-neutral answer of one successful call.
public struct CompletionResponse: Sendable, Hashable {
    /// Why the model stopped, mapped from each provider's own vocabulary.
    public enum FinishReason: String, Sendable, Hashable, Codable {
        case stop
        case length
        case contentFilter = "content_filter"
        case other
    }

    /// Tokens billed for the call.
    public struct Usage: Sendable, Hashable {
        public var inputTokens: Int
        public var outputTokens: Int

        public init(inputTokens: Int, outputTokens: Int) {
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
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
