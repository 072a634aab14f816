import Completions
import Failover
import Jobs

/// The most one call of a job can cost, reserved against its workload's budget while it runs.
///
/// An upper bound, not a guess: every byte of the prompt (system, messages, the output schema)
/// counted as a token (tokenizers give at most one token per byte of UTF-8 in practice), plus
/// the job's `max_tokens` of output, at the dearest price among the job's routes (a system prompt
/// marked for the prompt cache at the cache-write price where that is dearer), twice that for
/// a hedged job (it may pay for two calls that both answer). A route whose model has no price
/// costs 0, as everywhere else in understudy. Not covered: attempts that fail yet are billed (an
/// answer that fails its output check, then a failover to another route).
enum CostEstimate {
    static func upperBound(of job: Job, prices: PriceTable) -> Double {
        let request = job.request
        var inputBytes = request.system?.utf8.count ?? 0
        for message in request.messages { inputBytes += message.content.utf8.count }
        if case .jsonSchema(let schema) = request.responseFormat { inputBytes += (try? schema.jsonDocument())?.count ?? 0 }
        let outputTokens = max(0, request.maxTokens)
        // Only a marked system prompt can be written to the cache, at the dearer write price.
        let cacheable = request.cacheSystemPrompt ? request.system?.utf8.count ?? 0 : 0
        let call =
            job.routes.map {
                prices.upperBound(inputTokens: inputBytes, cacheableTokens: cacheable, outputTokens: outputTokens, model: $0.model)
            }.max() ?? 0
        // A hedged job may pay for two calls that both answer.
        return job.policy.hedgeAfter == nil ? call : 2 * call
    }
}
