import Completions

/// The `openai` adapter: OpenAI Chat Completions, and any OpenAI-compatible server by `base_url`.
package struct OpenAIProvider: CompletionProvider {
    package let kind = "openai"
    package let codec: OpenAICodec
    package let call: HTTPCall

    package init(codec: OpenAICodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    package func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
