import Completions

/// The `gemini` adapter: the Gemini API `generateContent` with the `x-goog-api-key` header.
public struct GeminiProvider: CompletionProvider {
    public let kind = "gemini"
    public let codec: GeminiCodec
    public let call: HTTPCall

    public init(codec: GeminiCodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    public func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
