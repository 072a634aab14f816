import Completions

/// The process-wide budget for same-route retries (Envoy / Finagle style): over a sliding window,
/// retries may not exceed `ratio` of requests plus a floor of `minimumPerSecond` × window, so a
/// provider in trouble is not hit harder by retries. Failing over to a route a job has not yet
/// called is a request, not a retry, and is not gated by this budget.
///
/// A value type with no I/O: `now` is a duration since any fixed origin.
package struct RetryBudget: Sendable, Hashable {
    /// The budget's shape.
    package struct Configuration: Sendable, Hashable {
        /// Share of recent requests that may be retried (``EngineDefaults/retryBudgetRatio``).
        package var ratio: Double
        /// Retries always allowed per second of window, whatever the traffic
        /// (``EngineDefaults/retryBudgetFloorPerSecond``; `engine.retry_budget_floor`).
        package var minimumPerSecond: Double
        /// The sliding window (``EngineDefaults/retryBudgetWindowSeconds``).
        package var window: Duration

        package init(
            ratio: Double = EngineDefaults.retryBudgetRatio,
            minimumPerSecond: Double = Double(EngineDefaults.retryBudgetFloorPerSecond),
            window: Duration = .seconds(EngineDefaults.retryBudgetWindowSeconds)
        ) {
            self.ratio = ratio
            self.minimumPerSecond = minimumPerSecond
            self.window = window
        }
    }

    package let configuration: Configuration
    private var requests: SlidingWindowCounter
    private var retries: SlidingWindowCounter

    package init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        requests = SlidingWindowCounter(window: configuration.window)
        retries = SlidingWindowCounter(window: configuration.window)
    }

    /// Counts a first call (a job's first attempt, or a fail-over to a route it has not called).
    package mutating func recordRequest(at now: Duration) {
        requests.add(at: now)
    }

    /// How many retries the window allows in total right now.
    package func allowance(at now: Duration) -> Double {
        configuration.ratio * Double(requests.total(at: now)) + configuration.minimumPerSecond * configuration.window.seconds
    }

    /// Retries spent in the current window.
    package func spent(at now: Duration) -> Int { retries.total(at: now) }

    /// Whether one more retry fits, without spending it.
    package func canRetry(at now: Duration) -> Bool {
        Double(retries.total(at: now) + 1) <= allowance(at: now)
    }

    /// Spends one retry if it fits; returns whether it did.
    package mutating func tryRetry(at now: Duration) -> Bool {
        guard canRetry(at: now) else { return false }
        retries.add(at: now)
        return true
    }
}
