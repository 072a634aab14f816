/// Latencies merged over many minutes or series (``LatencyHistogram``s added up), and the
/// percentiles read from them: what the summary and the dashboard's per-route lines show.
///
/// Percentiles are nearest-rank, like `Comparison.Percentiles`: the `p`-th is the bucket holding
/// the value at rank `⌈p · n / 100⌉`, read as that bucket's ``LatencyHistogram/representative(bucket:)``.
///
/// Guarantees: within ``LatencyHistogram/relativeErrorBound`` of the exact nearest-rank
/// percentile of the same values (see ``LatencyHistogram``); never traps; counts are `Int` and
/// saturate rather than overflow.
package struct LatencyDistribution: Sendable, Hashable {
    /// Per bucket, how many latencies fell in it; empty until the first value is added.
    package private(set) var counts: [Int] = []
    /// How many latencies were added.
    package private(set) var total: Int = 0

    package init() {}

    /// Adds one minute's latencies.
    package mutating func add(_ histogram: LatencyHistogram) {
        guard histogram.total > 0 else { return }
        if counts.isEmpty { counts = Array(repeating: 0, count: LatencyHistogram.bucketCount) }
        for (index, count) in zip(counts.indices, histogram.counts) where count > 0 {
            counts[index] = SafeNumber.add(counts[index], Int(count))
        }
        total = SafeNumber.add(total, histogram.total)
    }

    /// Adds another distribution's latencies.
    package mutating func add(_ other: LatencyDistribution) {
        guard other.total > 0 else { return }
        if counts.isEmpty { counts = Array(repeating: 0, count: LatencyHistogram.bucketCount) }
        for (index, count) in zip(counts.indices, other.counts) where count > 0 {
            counts[index] = SafeNumber.add(counts[index], count)
        }
        total = SafeNumber.add(total, other.total)
    }

    /// Forgets every value, keeping the buckets' memory.
    package mutating func removeAll() {
        guard total > 0 else { return }
        for index in counts.indices { counts[index] = 0 }
        total = 0
    }

    /// The nearest-rank `p`-th percentile in milliseconds (`p` in percent, clamped to 0...100),
    /// `nil` without values or for a NaN `p`.
    package func percentile(_ p: Double) -> Double? {
        guard total > 0, !p.isNaN else { return nil }
        let clamped = Swift.min(Swift.max(p, 0), 100)
        // In 1...total: `clamped` is in 0...100.
        let rank = Swift.max(1, SafeNumber.rounded((clamped * Double(total) / 100).rounded(.up), clampedTo: 1...total))
        var seen = 0
        for (bucket, count) in counts.enumerated() where count > 0 {
            seen = SafeNumber.add(seen, count)
            if seen >= rank { return LatencyHistogram.representative(bucket: bucket) }
        }
        return LatencyHistogram.representative(bucket: counts.count - 1)
    }

    /// The median, in milliseconds.
    package var p50: Double? { percentile(50) }
    /// The 95th percentile, in milliseconds.
    package var p95: Double? { percentile(95) }
}
