import Completions

/// What `FailoverEngine.run` returns for one job: the answer and who served it, or why it failed,
/// plus what the job cost in calls, tokens, dollars and time.
///
/// Guarantees: `attempts` counts calls actually made (hedges included, skips excluded); `usage`
/// and `costUSD` sum every call that reported usage (hedge losers included; a cancelled call
/// reports none); `response` and `servedBy` are set exactly when `status` is `.succeeded`, and
/// `error` exactly when it is `.failed`.
package struct FailoverResult: Sendable {
    /// `succeeded` or `failed`, as the result topic spells it.
    package enum Status: String, Sendable, Hashable, Codable {
        case succeeded
        case failed
    }

    package var status: Status
    package var response: CompletionResponse?
    package var servedBy: RouteTarget?
    package var attempts: Int
    package var usage: CompletionResponse.Usage
    package var costUSD: Double
    /// From `run` to the result, on the engine's clock.
    package var latency: Duration
    package var error: FailoverError?

    package init(
        status: Status,
        response: CompletionResponse?,
        servedBy: RouteTarget?,
        attempts: Int,
        usage: CompletionResponse.Usage,
        costUSD: Double,
        latency: Duration,
        error: FailoverError?
    ) {
        self.status = status
        self.response = response
        self.servedBy = servedBy
        self.attempts = attempts
        self.usage = usage
        self.costUSD = costUSD
        self.latency = latency
        self.error = error
    }

    /// True when a route other than the declared primary served the job.
    package var fallbackUsed: Bool { (servedBy?.index ?? 0) != 0 }
}
