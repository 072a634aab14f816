import Completions

/// The `engine` section: process-wide failover settings shared by every workload (circuit
/// breakers, retry and hedge budgets, adaptive concurrency). Every default is taken from
/// ``EngineDefaults``, where the failover engine takes its own defaults too.
package struct EngineConfig: Sendable, Hashable {
    /// Consecutive failures that open a route's breaker.
    package var breakerFailures: Int
    /// Failure ratio over the window that opens a breaker.
    package var breakerFailureRatio: Double
    /// Length of the sliding window for the ratio, in seconds.
    package var breakerWindowSeconds: Int
    /// Calls in the window before the ratio counts.
    package var breakerMinCalls: Int
    /// First open period, in milliseconds; it doubles on each trip in a row.
    package var breakerCooldownMs: Int
    /// Cap of the open period, in milliseconds.
    package var breakerMaxCooldownMs: Int
    /// Probe calls let through while half-open.
    package var halfOpenProbes: Int
    /// Same-route retries allowed as a share of the requests of the last 10 s.
    package var retryBudgetRatio: Double
    /// Retries always allowed on top of the ratio, **per second** (the budget's window is 10 s,
    /// so the default 10 allows 100 retries per window whatever the traffic).
    package var retryBudgetFloor: Int
    /// Hedged calls allowed as a share of the requests of the last 10 s.
    package var hedgeBudgetRatio: Double
    /// Additive increase, multiplicative decrease of each provider's concurrency on 429/overload.
    package var adaptiveConcurrency: Bool

    package init(
        breakerFailures: Int = EngineDefaults.breakerFailures,
        breakerFailureRatio: Double = EngineDefaults.breakerFailureRatio,
        breakerWindowSeconds: Int = EngineDefaults.breakerWindowSeconds,
        breakerMinCalls: Int = EngineDefaults.breakerMinCalls,
        breakerCooldownMs: Int = EngineDefaults.breakerCooldownMs,
        breakerMaxCooldownMs: Int = EngineDefaults.breakerMaxCooldownMs,
        halfOpenProbes: Int = EngineDefaults.halfOpenProbes,
        retryBudgetRatio: Double = EngineDefaults.retryBudgetRatio,
        retryBudgetFloor: Int = EngineDefaults.retryBudgetFloorPerSecond,
        hedgeBudgetRatio: Double = EngineDefaults.hedgeBudgetRatio,
        adaptiveConcurrency: Bool = EngineDefaults.adaptiveConcurrency
    ) {
        self.breakerFailures = breakerFailures
        self.breakerFailureRatio = breakerFailureRatio
        self.breakerWindowSeconds = breakerWindowSeconds
        self.breakerMinCalls = breakerMinCalls
        self.breakerCooldownMs = breakerCooldownMs
        self.breakerMaxCooldownMs = breakerMaxCooldownMs
        self.halfOpenProbes = halfOpenProbes
        self.retryBudgetRatio = retryBudgetRatio
        self.retryBudgetFloor = retryBudgetFloor
        self.hedgeBudgetRatio = hedgeBudgetRatio
        self.adaptiveConcurrency = adaptiveConcurrency
    }

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> EngineConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown([
            "breaker_failures", "breaker_failure_ratio", "breaker_window_seconds", "breaker_min_calls", "breaker_cooldown_ms",
            "breaker_max_cooldown_ms", "half_open_probes", "retry_budget_ratio", "retry_budget_floor", "hedge_budget_ratio",
            "adaptive_concurrency",
        ])
        let d = EngineConfig()
        let config = EngineConfig(
            breakerFailures: try object.optional("breaker_failures", Read.integer(in: 1...1_000)) ?? d.breakerFailures,
            breakerFailureRatio: try object.optional("breaker_failure_ratio", Read.number(in: 0.01...1)) ?? d.breakerFailureRatio,
            breakerWindowSeconds: try object.optional("breaker_window_seconds", Read.integer(in: 1...3_600)) ?? d.breakerWindowSeconds,
            breakerMinCalls: try object.optional("breaker_min_calls", Read.integer(in: 1...1_000_000)) ?? d.breakerMinCalls,
            breakerCooldownMs: try object.optional("breaker_cooldown_ms", Read.integer(in: 1...86_400_000)) ?? d.breakerCooldownMs,
            breakerMaxCooldownMs: try object.optional("breaker_max_cooldown_ms", Read.integer(in: 1...86_400_000))
                ?? d.breakerMaxCooldownMs,
            halfOpenProbes: try object.optional("half_open_probes", Read.integer(in: 1...1_000)) ?? d.halfOpenProbes,
            retryBudgetRatio: try object.optional("retry_budget_ratio", Read.number(in: 0...1)) ?? d.retryBudgetRatio,
            retryBudgetFloor: try object.optional("retry_budget_floor", Read.integer(in: 0...1_000_000)) ?? d.retryBudgetFloor,
            hedgeBudgetRatio: try object.optional("hedge_budget_ratio", Read.number(in: 0...1)) ?? d.hedgeBudgetRatio,
            adaptiveConcurrency: try object.optional("adaptive_concurrency", Read.bool) ?? d.adaptiveConcurrency
        )
        if config.breakerMaxCooldownMs < config.breakerCooldownMs {
            throw .invalid(
                path.appending("breaker_max_cooldown_ms"),
                "must be at least breaker_cooldown_ms (\(config.breakerCooldownMs)), got \(config.breakerMaxCooldownMs)"
            )
        }
        return config
    }
}
