import Completions

/// The process-wide budget for hedged calls: over a sliding window, hedges may not exceed
/// `ratio` of requests (default 10%) plus a small floor, so hedging cannot double the load.
///
/// A value type with no I/O: `now` is a duration since any fixed origin.
package struct HedgeBudget: Sendable, Hashable {
    /// The budget's shape.
    package struct Configuration: Sendable, Hashable {
        /// Share of recent requests that may be hedged (``EngineDefaults/hedgeBudgetRatio``).
        package var ratio: Double
        /// Hedges always allowed per second of window (``EngineDefaults/hedgeBudgetFloorPerSecond``,
        /// 5 per 10 s window).
        package var minimumPerSecond: Double
        /// The sliding window (``EngineDefaults/hedgeBudgetWindowSeconds``).
        package var window: Duration

        package init(
            ratio: Double = EngineDefaults.hedgeBudgetRatio,
            minimumPerSecond: Double = EngineDefaults.hedgeBudgetFloorPerSecond,
            window: Duration = .seconds(EngineDefaults.hedgeBudgetWindowSeconds)
        ) {
            self.ratio = ratio
            self.minimumPerSecond = minimumPerSecond
            self.window = window
        }
    }

    package let configuration: Configuration
    private var requests: SlidingWindowCounter
    private var hedges: SlidingWindowCounter

    package init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        requests = SlidingWindowCounter(window: configuration.window)
        hedges = SlidingWindowCounter(window: configuration.window)
    }

    /// Counts one job started.
    package mutating func recordRequest(at now: Duration) {
        requests.add(at: now)
    }

    /// How many hedges the window allows in total right now.
    package func allowance(at now: Duration) -> Double {
        configuration.ratio * Double(requests.total(at: now)) + configuration.minimumPerSecond * configuration.window.seconds
    }

    /// Spends one hedge if it fits; returns whether it did.
    package mutating func tryHedge(at now: Duration) -> Bool {
        guard Double(hedges.total(at: now) + 1) <= allowance(at: now) else { return false }
        hedges.add(at: now)
        return true
    }
}
