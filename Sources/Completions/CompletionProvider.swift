/// A configured provider that can serve routes: the seam between the failover engine and the
/// wire. Adapters (Anthropic, OpenAI, Bedrock, ...) and test fakes implement it.
///
/// Contract: `complete` returns the answer or throws a ``ProviderFailure``; it honours task
/// cancellation promptly (a hedged or timed-out call is cancelled by the engine), and it does not
/// retry on its own: retries are the engine's decision.
package protocol CompletionProvider: Sendable {
    /// The adapter kind, as the config names it (`anthropic`, `openai`, `extractive`, ...).
    var kind: String { get }

    /// Calls `model` with `request`. `timeout` is the attempt's budget: an adapter gives up with a
    /// `.timeout` failure when it passes while waiting for the provider to answer; the caller
    /// (the engine's attempt timer) cancels the task to bound the whole exchange.
    func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse
}
