/// Nearest-rank percentiles of a list of measurements (latencies in milliseconds, costs): the
/// `p`-th percentile is the smallest value that at least `p` % of the values do not exceed,
/// always one of the values themselves, never an interpolation.
///
/// Rules: NaNs are left out (they are not measurements); infinities are kept and sort at the
/// ends. With no value left, every percentile is `nil`. `p` is in percent: `p ≤ 0` gives the
/// smallest value, `p ≥ 100` the largest, a NaN `p` gives `nil`.
///
/// Guarantees: never traps; building costs one sort (`n log n`), each percentile is then
/// constant time. The rank is computed as `⌈p · n / 100⌉`, which is exact for whole `p` (no
/// off-by-one from `0.95 · 20` being a hair off 19).
package struct Percentiles: Sendable, Hashable {
    /// The values kept, in ascending order.
    package let sorted: [Double]

    /// The percentiles of `values`, NaNs left out.
    package init(_ values: some Sequence<Double>) {
        sorted = values.filter { !$0.isNaN }.sorted()
    }

    /// How many values were kept.
    package var count: Int { sorted.count }

    /// The nearest-rank `p`-th percentile (`p` in percent), `nil` without values or for a NaN `p`.
    package func percentile(_ p: Double) -> Double? {
        guard !sorted.isEmpty, !p.isNaN else { return nil }
        let clamped = min(max(p, 0), 100)
        // In 0...count because `clamped` is in 0...100.
        let rank = (clamped * Double(sorted.count) / 100).rounded(.up)
        guard rank >= 1 else { return sorted[0] }
        guard rank < Double(sorted.count) else { return sorted[sorted.count - 1] }
        return sorted[Int(rank) - 1]
    }

    /// The median (nearest rank).
    package var p50: Double? { percentile(50) }
    /// The 95th percentile (nearest rank).
    package var p95: Double? { percentile(95) }
    /// The 99th percentile (nearest rank).
    package var p99: Double? { percentile(99) }
}
