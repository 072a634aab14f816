import Completions

/// The `openai` adapter: OpenAI Chat Completions, and any OpenAI-compatible server by `base_url`.
public struct OpenAIProvider: CompletionProvider {
    public let kind = "openai"
    public let codec: OpenAICodec
    public let call: HTTPCall

    public init(codec: OpenAICodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    public func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
