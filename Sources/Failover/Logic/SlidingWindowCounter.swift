import Completions

/// Counts events over a sliding time window as a ring of buckets: O(buckets) memory, O(1) to
/// add, O(buckets) to read. Times are durations since an arbitrary fixed origin.
struct SlidingWindowCounter: Sendable, Hashable {
    private let bucketWidth: Int64
    private var counts: [Int]
    private var epochs: [Int64]

    init(window: Duration, buckets: Int = 10) {
        let count = max(1, buckets)
        bucketWidth = max(1, window.nanoseconds / Int64(count))
        counts = Array(repeating: 0, count: count)
        epochs = Array(repeating: .min, count: count)
    }

    private func epoch(_ now: Duration) -> Int64 { now.nanoseconds / bucketWidth }

    mutating func add(_ amount: Int = 1, at now: Duration) {
        let current = epoch(now)
        let slot = Int(current.magnitude % UInt64(counts.count))
        if epochs[slot] != current {
            epochs[slot] = current
            counts[slot] = 0
        }
        counts[slot] += amount
    }

    func total(at now: Duration) -> Int {
        let current = epoch(now)
        let oldest = current - Int64(counts.count) + 1
        var sum = 0
        for slot in counts.indices where epochs[slot] >= oldest && epochs[slot] <= current {
            sum += counts[slot]
        }
        return sum
    }

    mutating func reset() {
        for slot in counts.indices {
            counts[slot] = 0
            epochs[slot] = .min
        }
    }
}
