import Completions

/// Recent latency of one route: an EWMA and a p95 over the last `sampleCount` calls. A route is
/// slow when its EWMA exceeds its `slow_after`; it recovers when fast answers bring the EWMA
/// down, or when its samples go stale (no call for `staleAfter`), so a demoted route is tried
/// again later instead of being demoted for ever.
///
/// A value type with no I/O: `now` is a duration since any fixed origin.
package struct LatencyTracker: Sendable, Hashable {
    /// The tracker's shape.
    package struct Configuration: Sendable, Hashable {
        /// EWMA weight of a new sample (default 0.3).
        package var smoothing: Double
        /// Samples kept for the p95 (default 32).
        package var sampleCount: Int
        /// Samples older than this no longer make a route slow (default 60 s).
        package var staleAfter: Duration

        package init(smoothing: Double = 0.3, sampleCount: Int = 32, staleAfter: Duration = .seconds(60)) {
            self.smoothing = smoothing
            self.sampleCount = sampleCount
            self.staleAfter = staleAfter
        }
    }

    package let configuration: Configuration
    /// The smoothed latency in seconds, `nil` before the first sample.
    package private(set) var ewmaSeconds: Double?
    package private(set) var lastSampleAt: Duration?
    private var samples: [Double] = []
    private var next = 0

    package init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The smoothed latency, `nil` before the first sample.
    package var ewma: Duration? { ewmaSeconds.map { .nanoseconds(Int64($0 * 1e9)) } }

    /// Adds the latency of one call that ended at `now`.
    package mutating func record(_ latency: Duration, at now: Duration) {
        let value = latency.seconds
        if let current = ewmaSeconds {
            ewmaSeconds = current + configuration.smoothing * (value - current)
        } else {
            ewmaSeconds = value
        }
        lastSampleAt = now
        let capacity = max(1, configuration.sampleCount)
        if samples.count < capacity {
            samples.append(value)
        } else {
            samples[next] = value
        }
        next = (next + 1) % capacity
    }

    /// The 95th percentile of the kept samples (nearest rank), `nil` without samples.
    package var p95: Duration? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = Int((0.95 * Double(sorted.count)).rounded(.up)) - 1
        return .nanoseconds(Int64(sorted[min(max(rank, 0), sorted.count - 1)] * 1e9))
    }

    /// Whether the route counts as slow at `now` against `threshold`.
    package func isSlow(threshold: Duration, at now: Duration) -> Bool {
        guard let ewmaSeconds, let lastSampleAt, now - lastSampleAt < configuration.staleAfter else { return false }
        return ewmaSeconds > threshold.seconds
    }
}
