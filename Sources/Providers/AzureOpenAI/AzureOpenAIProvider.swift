import Completions

/// The `azure-openai` adapter: Azure OpenAI chat completions on the deployments path (with
/// `api-version`) or the v1 path, authenticated by `api-key` or an Entra ID bearer token. The
/// `model` a route names is the deployment name.
package struct AzureOpenAIProvider: CompletionProvider {
    package let kind = "azure-openai"
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
