/// In-flight calls to one provider against its limit: `max_concurrency` (unlimited by default),
/// and, when adaptive, an AIMD limit that settles just under the provider's rate limit: each
/// success adds `1/limit` (about one more slot per limit's worth of successes), a 429 or an
/// overload multiplies it by `decreaseFactor` (at most once per `decreaseInterval`).
///
/// A value type with no I/O; the engine keeps the queue of waiting calls next to it.
package struct ConcurrencyLimit: Sendable, Hashable {
    /// The limiter's shape.
    package struct Configuration: Sendable, Hashable {
        /// Hard ceiling on in-flight calls; `nil` for unlimited (the default).
        package var maxConcurrency: Int?
        /// Whether 429s and overloads lower the limit and successes raise it (default on).
        package var adaptive: Bool
        /// Multiplier on a 429 or an overload (default 0.7).
        package var decreaseFactor: Double
        /// The adaptive limit never goes below this (default 1).
        package var minimum: Int
        /// At most one decrease per interval, so one burst of 429s is one signal (default 1 s).
        package var decreaseInterval: Duration

        package init(
            maxConcurrency: Int? = nil,
            adaptive: Bool = true,
            decreaseFactor: Double = 0.7,
            minimum: Int = 1,
            decreaseInterval: Duration = .seconds(1)
        ) {
            self.maxConcurrency = maxConcurrency
            self.adaptive = adaptive
            self.decreaseFactor = decreaseFactor
            self.minimum = minimum
            self.decreaseInterval = decreaseInterval
        }
    }

    package let configuration: Configuration
    package private(set) var inFlight = 0
    /// The current limit; `.infinity` while unlimited.
    package private(set) var limit: Double
    private var lastDecrease: Duration?

    package init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        limit = configuration.maxConcurrency.map { Double(max(1, $0)) } ?? .infinity
    }

    /// The limit as a whole number of slots, `nil` while unlimited.
    package var currentLimit: Int? { limit.isFinite ? max(1, Int(limit)) : nil }

    /// Takes a slot if one is free.
    package mutating func tryAcquire() -> Bool {
        if let currentLimit, inFlight >= currentLimit { return false }
        inFlight += 1
        return true
    }

    /// Gives a slot back.
    package mutating func release() {
        inFlight = max(0, inFlight - 1)
    }

    /// A call succeeded: additive increase (adaptive only), up to `maxConcurrency`.
    package mutating func recordSuccess() {
        guard configuration.adaptive, limit.isFinite else { return }
        limit += 1 / max(limit, 1)
        if let ceiling = configuration.maxConcurrency { limit = min(limit, Double(max(1, ceiling))) }
    }

    /// A call was rate limited or overloaded: multiplicative decrease (adaptive only). An
    /// unlimited provider starts from the number of calls in flight.
    package mutating func recordOverload(at now: Duration) {
        guard configuration.adaptive else { return }
        if let lastDecrease, now - lastDecrease < configuration.decreaseInterval { return }
        lastDecrease = now
        let base = limit.isFinite ? limit : Double(max(inFlight, configuration.minimum))
        limit = max(Double(max(1, configuration.minimum)), base * configuration.decreaseFactor)
    }
}
