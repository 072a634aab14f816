import Completions
import Foundation

/// One provider call or one skipped route, as the `attempt` telemetry event reports it.
///
/// Guarantees: the engine emits exactly one event per call it made (hedge losers included, with
/// outcome `cancelled` and decision `hedge`) and one per route it skipped (outcome
/// `circuit_open`, no call). `attempt` is the 1-based number of the call; a skip carries the
/// number the next call will take, since skips do not count toward `max_attempts`.
package struct AttemptEvent: Sendable, Hashable {
    package var jobID: String
    package var workload: String
    package var attempt: Int
    /// The route's position in the job's declared route list.
    package var routeIndex: Int
    package var provider: String
    package var model: String
    /// The adapter kind (`anthropic`, `openai`, `extractive`, ...); empty for an unknown provider.
    package var providerKind: String
    package var outcome: Outcome
    package var httpStatus: Int?
    /// From the start of the call (after any wait for a concurrency slot) to its end.
    package var latency: Duration
    package var retryAfter: Duration?
    package var decision: Decision
    package var costUSD: Double
    package var usage: CompletionResponse.Usage?
    /// What the prompt cache saved on this call against plain input prices (``PriceTable/cacheSavings(of:model:)``).
    package var cacheSavingsUSD: Double
    /// The provider's message (or the engine's words for a skip); never a secret.
    package var errorMessage: String?
    package var at: Date

    package init(
        jobID: String,
        workload: String,
        attempt: Int,
        routeIndex: Int,
        provider: String,
        model: String,
        providerKind: String,
        outcome: Outcome,
        httpStatus: Int? = nil,
        latency: Duration = .zero,
        retryAfter: Duration? = nil,
        decision: Decision,
        costUSD: Double = 0,
        usage: CompletionResponse.Usage? = nil,
        cacheSavingsUSD: Double = 0,
        errorMessage: String? = nil,
        at: Date
    ) {
        self.jobID = jobID
        self.workload = workload
        self.attempt = attempt
        self.routeIndex = routeIndex
        self.provider = provider
        self.model = model
        self.providerKind = providerKind
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.latency = latency
        self.retryAfter = retryAfter
        self.decision = decision
        self.costUSD = costUSD
        self.usage = usage
        self.cacheSavingsUSD = cacheSavingsUSD
        self.errorMessage = errorMessage
        self.at = at
    }
}
