/// The default bounds on every provider call, in one place: the config's `providers.NAME`
/// entries and the Providers module's HTTP limits both take them from here.
package enum ProviderDefaults {
    /// `providers.NAME.max_response_bytes`: the largest response body read; a larger one is
    /// abandoned as soon as the cap is passed (`invalid_output`).
    package static let maxResponseBytes = 8 << 20
    /// The largest request body sent (not configurable: a job's input is bounded before).
    package static let maxRequestBytes = 8 << 20
    /// `providers.NAME.body_timeout_ms`: how long a response body may take after its head: far
    /// more than a whole non-streamed answer needs, far less than a long job deadline.
    package static let bodyTimeoutMs = 30_000
}

/// The default of every process-wide failover setting, in one place. The failover engine's own
/// configuration types (`CircuitBreaker.Configuration`, `RetryBudget.Configuration`,
/// `HedgeBudget.Configuration`, `EngineConfiguration`) and the config's `engine` section
/// (`EngineConfig`) both take their defaults from here, and `ConfigReferenceTests` checks the
/// README's config reference against them.
///
/// It lives at the bottom of the module graph because both `Failover` and `Jobs` need it and
/// neither may import the other. Values are in the config's units (milliseconds, seconds).
package enum EngineDefaults {
    /// `engine.breaker_failures`: consecutive failures that open a route's breaker.
    package static let breakerFailures = 5
    /// `engine.breaker_failure_ratio`: failure share over the window that opens a breaker.
    package static let breakerFailureRatio = 0.5
    /// `engine.breaker_window_seconds`: the breaker's sliding window.
    package static let breakerWindowSeconds = 30
    /// `engine.breaker_min_calls`: calls in the window before the ratio counts.
    package static let breakerMinCalls = 20
    /// `engine.breaker_cooldown_ms`: the first open period; it doubles on each trip in a row.
    package static let breakerCooldownMs = 5_000
    /// `engine.breaker_max_cooldown_ms`: the longest open period.
    package static let breakerMaxCooldownMs = 60_000
    /// `engine.half_open_probes`: probe calls let through while half-open.
    package static let halfOpenProbes = 1
    /// `engine.retry_budget_ratio`: same-route retries as a share of the window's requests.
    package static let retryBudgetRatio = 0.2
    /// `engine.retry_budget_floor`: retries always allowed **per second**, whatever the traffic
    /// (Finagle's `minRetriesPerSec`): over the ``retryBudgetWindowSeconds`` window that is
    /// `floor × window` retries (100 by default).
    package static let retryBudgetFloorPerSecond = 10
    /// The retry budget's sliding window (not configurable).
    package static let retryBudgetWindowSeconds = 10
    /// `engine.hedge_budget_ratio`: hedged calls as a share of the window's requests.
    package static let hedgeBudgetRatio = 0.1
    /// Hedges always allowed per second (not configurable): 5 per 10 s window.
    package static let hedgeBudgetFloorPerSecond = 0.5
    /// The hedge budget's sliding window (not configurable).
    package static let hedgeBudgetWindowSeconds = 10
    /// `engine.adaptive_concurrency`: AIMD on each provider's concurrency limit.
    package static let adaptiveConcurrency = true
}

/// The default of every field of a job's failover policy, in one place: the engine's
/// `FailoverPolicy`, as the config's `workloads.NAME.policy` and a job's `routing` build it, takes them from
/// here. Values are in the config's units (milliseconds).
package enum PolicyDefaults {
    /// `max_attempts`: calls across all routes.
    package static let maxAttempts = 4
    /// `attempt_timeout_ms`: the limit of one provider call.
    package static let attemptTimeoutMs = 30_000
    /// `deadline_ms`: the limit of the whole job, from when the worker starts it.
    package static let deadlineMs = 600_000
    /// `max_retry_wait_ms`: the longest `retry-after` waited out on the same route.
    package static let maxRetryWaitMs = 2_000
    /// `backoff_base_ms`: the first same-route backoff step.
    package static let backoffBaseMs = 200
    /// `backoff_cap_ms`: the largest same-route backoff step.
    package static let backoffCapMs = 10_000
    /// `fail_over_on`: every failure class but `client_error` (a request that is itself wrong
    /// fails the job).
    package static let failOverOn: Set<Outcome> = [
        .timeout, .connection, .rateLimited, .overloaded, .serverError, .invalidOutput, .authError,
    ]
}
