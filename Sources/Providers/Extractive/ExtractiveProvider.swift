import Completions

/// The `extractive` adapter: a local, deterministic, offline summary of the request's user
/// messages, so a workload can list it as its last route and still get a usable answer when
/// every remote provider is down. Token counts are estimates (≈ characters / 4); it costs nothing.
///
/// Guarantees: no network, no randomness; honours cancellation before it starts; a `json_schema`
/// response format gets a JSON document shaped by the schema.
package struct ExtractiveProvider: CompletionProvider {
    package let kind = "extractive"
    package let summarizer: ExtractiveSummarizer

    package init(summarizer: ExtractiveSummarizer = ExtractiveSummarizer()) {
        self.summarizer = summarizer
    }

    package func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        try Task.checkCancellation()
        return answer(request)
    }

    /// The answer, synchronously (the simulator and the benchmarks call it directly).
    package func answer(_ request: CompletionRequest) -> CompletionResponse {
        let source = Self.sourceText(of: request)
        let inputTokens = summarizer.estimateTokens((request.system ?? "") + source)
        let text: String
        let finish: CompletionResponse.FinishReason
        switch request.responseFormat {
        case .jsonSchema(let schema):
            text = summarizer.jsonDocument(for: schema, text: source, maxTokens: request.maxTokens)
            finish = .stop
        case .text:
            let summary = summarizer.summarize(source, maxTokens: request.maxTokens)
            text = summary.text
            finish = summary.truncated ? .length : .stop
        }
        return CompletionResponse(
            text: text,
            finishReason: finish,
            usage: .init(inputTokens: inputTokens, outputTokens: summarizer.estimateTokens(text)),
            providerRequestID: nil
        )
    }

    /// The text to summarize: the user messages joined, or the system prompt when there are none.
    package static func sourceText(of request: CompletionRequest) -> String {
        let user = request.messages.filter { $0.role == .user }.map(\.content)
        if !user.isEmpty { return user.joined(separator: "\n\n") }
        return request.system ?? ""
    }
}
