/// The latencies of one minute of one series, in fixed log-scale buckets: bounded memory
/// (``bucketCount`` counters, allocated on the first value and reused when the minute's slot is
/// reused), constant time per value, no floating point on the way in.
///
/// Buckets: 0 to 7 ms one each (exact); from 8 ms on, each power of two is split into 8 equal
/// buckets, so a bucket starting at `lo` is at most `lo / 8` wide; values from ``maxTrackedMs``
/// on share one last bucket.
///
/// Guarantees: a percentile read from these buckets (``LatencyDistribution/percentile(_:)``) is
/// the middle of the bucket that holds the exact nearest-rank percentile, so it is within
/// ``relativeErrorBound`` (6.25 %) of it, exactly right below 8 ms, and reads as ``maxTrackedMs``
/// (a lower bound) when that percentile is in the last bucket. Negative latencies are not
/// recorded. Counts saturate at `UInt32.max` per bucket instead of trapping.
package struct LatencyHistogram: Sendable, Hashable {
    /// Sub-buckets per power of two, as a power of two (2^3 = 8).
    private static let subBucketBits = 3
    private static let subBuckets = 1 << subBucketBits
    /// Latencies of at least this many milliseconds (2^22, about 70 minutes) share the last bucket.
    package static let maxTrackedMs = 1 << 22
    /// How far a percentile read from the buckets may be from the exact one, relative to it.
    package static let relativeErrorBound = 1.0 / Double(2 * subBuckets)
    /// How many buckets a histogram holds.
    package static let bucketCount = bucketIndex(ms: maxTrackedMs) + 1

    /// Per bucket, how many latencies fell in it; empty until the first value.
    package private(set) var counts: [UInt32] = []
    /// How many latencies were recorded (saturating).
    package private(set) var total: Int = 0

    package init() {}

    /// Counts one latency; a negative one is ignored, one of ``maxTrackedMs`` or more goes to the
    /// last bucket.
    package mutating func record(ms: Int) {
        guard ms >= 0 else { return }
        if counts.isEmpty { counts = Array(repeating: 0, count: Self.bucketCount) }
        let index = Self.bucketIndex(ms: ms)
        if counts[index] < UInt32.max { counts[index] += 1 }
        total = SafeNumber.add(total, 1)
    }

    /// Forgets every value, keeping the buckets' memory.
    package mutating func removeAll() {
        guard total > 0 else { return }
        for index in counts.indices { counts[index] = 0 }
        total = 0
    }

    /// The bucket that holds `ms` (which must be at least 0).
    package static func bucketIndex(ms: Int) -> Int {
        if ms < subBuckets { return ms }
        let capped = Swift.min(ms, maxTrackedMs)
        // The power of two below `capped`: at least `subBucketBits` since capped >= subBuckets.
        let exponent = Int.bitWidth - 1 - capped.leadingZeroBitCount
        let sub = (capped >> (exponent - subBucketBits)) & (subBuckets - 1)
        return subBuckets + (exponent - subBucketBits) * subBuckets + sub
    }

    /// The value a percentile that falls in `bucket` reads as: the middle of the whole numbers
    /// the bucket holds (the value itself below 8 ms), ``maxTrackedMs`` for the last bucket.
    package static func representative(bucket: Int) -> Double {
        if bucket < subBuckets { return Double(Swift.max(bucket, 0)) }
        if bucket >= bucketCount - 1 { return Double(maxTrackedMs) }
        let exponent = (bucket - subBuckets) / subBuckets + subBucketBits
        let sub = (bucket - subBuckets) % subBuckets
        let width = 1 << (exponent - subBucketBits)
        let low = (subBuckets + sub) * width
        return Double(low) + Double(width - 1) / 2
    }
}
