import Completions

/// The `bedrock` adapter: the Amazon Bedrock Converse API, signed with SigV4 for the service
/// `bedrock` or authorized with a Bedrock API key as a bearer token.
package struct BedrockProvider: CompletionProvider {
    package let kind = "bedrock"
    package let codec: BedrockCodec
    package let call: HTTPCall

    package init(codec: BedrockCodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    package func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
