import Completions

/// The `gemini` adapter: the Gemini API `generateContent` with the `x-goog-api-key` header.
package struct GeminiProvider: CompletionProvider {
    package let kind = "gemini"
    package let codec: GeminiCodec
    package let call: HTTPCall

    package init(codec: GeminiCodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    package func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
