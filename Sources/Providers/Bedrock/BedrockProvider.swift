import Completions

/// The `bedrock` adapter: the Amazon Bedrock Converse API, signed with SigV4 for the service
/// `bedrock` or authorized with a Bedrock API key as a bearer token.
public struct BedrockProvider: CompletionProvider {
    public let kind = "bedrock"
    public let codec: BedrockCodec
    public let call: HTTPCall

    public init(codec: BedrockCodec, call: HTTPCall) {
        self.codec = codec
        self.call = call
    }

    public func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try await call.perform(codec, request: request, model: model, timeout: timeout)
    }
}
