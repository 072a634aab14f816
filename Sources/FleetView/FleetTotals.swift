/// ``FleetStats`` added up over minutes or series: counts and latency distributions from which
/// a summary row or a dashboard point is read.
///
/// Guarantees: adding never traps (sums saturate); percentiles are within
/// ``LatencyHistogram/relativeErrorBound`` of the exact ones.
package struct FleetTotals: Sendable, Hashable {
    package private(set) var counts = FleetCounts()
    package private(set) var attemptLatency = LatencyDistribution()
    package private(set) var jobLatency = LatencyDistribution()

    package init() {}

    /// Adds one minute of one series.
    package mutating func add(_ stats: FleetStats) {
        counts.add(stats.counts)
        attemptLatency.add(stats.attemptLatency)
        jobLatency.add(stats.jobLatency)
    }

    /// Adds other totals.
    package mutating func add(_ other: FleetTotals) {
        counts.add(other.counts)
        attemptLatency.add(other.attemptLatency)
        jobLatency.add(other.jobLatency)
    }

    /// Forgets everything, keeping the memory (for a scratch value reused per point).
    package mutating func removeAll() {
        counts.removeAll()
        attemptLatency.removeAll()
        jobLatency.removeAll()
    }
}
