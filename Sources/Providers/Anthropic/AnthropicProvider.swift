import Completions

/// The `anthropic` adapter: Claude through the Messages API, directly or on Microsoft Foundry.
public struct AnthropicProvider: CompletionProvider {
    public let kind = "anthropic"
    public let codec: AnthropicCodec
    public let call: HTTPCall

    public init(codec: AnthropicCodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    public func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
