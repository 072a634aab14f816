import Completions

/// The `anthropic` adapter: Claude through the Messages API, directly or on Microsoft Foundry.
package struct AnthropicProvider: CompletionProvider {
    package let kind = "anthropic"
    package let codec: AnthropicCodec
    package let call: HTTPCall

    package init(codec: AnthropicCodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    package func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
