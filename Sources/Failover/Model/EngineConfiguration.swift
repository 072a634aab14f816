import Completions

/// The process-wide settings of a ``FailoverEngine``: thresholds of the state it shares across
/// jobs (breakers, budgets, concurrency limits, latency tracking) and the price table. Every
/// field has the documented default.
package struct EngineConfiguration: Sendable {
    /// Breaker thresholds, for every route.
    package var breaker: CircuitBreaker.Configuration
    /// Same-route retry budget (default 20% of requests plus 10 per second; ``EngineDefaults``).
    package var retryBudget: RetryBudget.Configuration
    /// Hedge budget (default 10% of requests plus 0.5 per second; ``EngineDefaults``).
    package var hedgeBudget: HedgeBudget.Configuration
    /// Latency tracking, for every route.
    package var latency: LatencyTracker.Configuration
    /// `max_concurrency` per configured provider name; absent means unlimited.
    package var maxConcurrency: [String: Int]
    /// Whether 429s and overloads shrink a provider's concurrency limit (AIMD;
    /// ``EngineDefaults/adaptiveConcurrency``).
    package var adaptiveConcurrency: Bool
    /// Prices for `cost_usd`.
    package var prices: PriceTable
    /// `slow_after` per route (`provider/model`), used when the job's policy sets none.
    package var slowAfter: [RouteKey: Duration]
    /// How often a job waiting on a half-open route whose probes are out looks again (default 1 s).
    package var probePollInterval: Duration
    /// The jitter source for backoff, uniform in `[0, 1)`; injectable for deterministic tests.
    package var jitter: @Sendable () -> Double

    package init(
        breaker: CircuitBreaker.Configuration = .init(),
        retryBudget: RetryBudget.Configuration = .init(),
        hedgeBudget: HedgeBudget.Configuration = .init(),
        latency: LatencyTracker.Configuration = .init(),
        maxConcurrency: [String: Int] = [:],
        adaptiveConcurrency: Bool = EngineDefaults.adaptiveConcurrency,
        prices: PriceTable = .defaults,
        slowAfter: [RouteKey: Duration] = [:],
        probePollInterval: Duration = .seconds(1),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.breaker = breaker
        self.retryBudget = retryBudget
        self.hedgeBudget = hedgeBudget
        self.latency = latency
        self.maxConcurrency = maxConcurrency
        self.adaptiveConcurrency = adaptiveConcurrency
        self.prices = prices
        self.slowAfter = slowAfter
        self.probePollInterval = probePollInterval
        self.jitter = jitter
    }

    /// The concurrency limiter settings of `provider`.
    func concurrency(for provider: String) -> ConcurrencyLimit.Configuration {
        ConcurrencyLimit.Configuration(maxConcurrency: maxConcurrency[provider], adaptive: adaptiveConcurrency)
    }
}
