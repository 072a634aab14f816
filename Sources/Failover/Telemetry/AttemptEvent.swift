import Completions
import Foundation

/// One provider call or one skipped route, as the `attempt` telemetry event reports it.
///
/// Guarantees: the engine emits exactly one event per call it made (hedge losers included, with
/// outcome `cancelled` and decision `hedge`) and one per route it skipped (outcome
/// `circuit_open`, no call). `attempt` is the 1-based number of the call; a skip carries the
/// number the next call will take, since skips do not count toward `max_attempts`.
public struct AttemptEvent: Sendable, Hashable {
    public var jobID: String
    public var workload: String
    public var attempt: Int
    /// The route's position in the job's declared route list.
    public var routeIndex: Int
    public var provider: String
    public var model: String
    /// The adapter kind (`anthropic`, `openai`, `extractive`, ...); empty for an unknown provider.
    public var providerKind: String
    public var outcome: Outcome
    public var httpStatus: Int?
    /// From the start of the call (after any wait for a concurrency slot) to its end.
    public var latency: Duration
    public var retryAfter: Duration?
    public var decision: Decision
    public var costUSD: Double
    public var usage: CompletionResponse.Usage?
    /// The provider's message (or the engine's words for a skip); never a secret.
    public var errorMessage: String?
    public var at: Date

    public init(
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
        self.errorMessage = errorMessage
        self.at = at
    }
}
