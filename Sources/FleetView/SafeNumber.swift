/// Conversions between `Double` and `Int` that never trap, for every number FleetView reads off
/// telemetry (latencies, costs, timestamps) or computes for a chart.
///
/// Guarantees: no function here traps on any input, NaN and infinities included; `Int(someDouble)`
/// is only ever called on a value already checked to be finite and within ±2^53.
package enum SafeNumber {
    /// The largest magnitude converted exactly: 2^53, beyond which a `Double` skips integers.
    package static let exactLimit = 9_007_199_254_740_992.0

    /// `value` rounded down to a whole number, `nil` when it is NaN, infinite or beyond ±2^53.
    package static func floor(_ value: Double) -> Int? {
        guard value.isFinite else { return nil }
        let whole = value.rounded(.down)
        guard abs(whole) < exactLimit else { return nil }
        return Int(whole)
    }

    /// `value` rounded to the nearest whole number and clamped to `range`; NaN gives the lower bound.
    package static func rounded(_ value: Double, clampedTo range: ClosedRange<Int>) -> Int {
        guard !value.isNaN else { return range.lowerBound }
        let low = Double(range.lowerBound)
        let high = Double(range.upperBound)
        let clamped = Swift.min(Swift.max(value.rounded(), low), high)
        // Strictly between two Ints and whole, so it converts exactly.
        guard clamped > low else { return range.lowerBound }
        guard clamped < high else { return range.upperBound }
        return Int(clamped)
    }

    /// `a + b`, stopping at `Int.max` or `Int.min` instead of trapping.
    package static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b < 0 ? Int.min : Int.max
    }

    /// `value` rounded to `decimals` places (at most 9) for a document; non-finite values are
    /// returned unchanged so the writer can turn them into `null`.
    package static func rounded(_ value: Double, decimals: Int) -> Double {
        guard value.isFinite else { return value }
        var scale = 1.0
        for _ in 0..<Swift.min(Swift.max(decimals, 0), 9) { scale *= 10 }
        let scaled = value * scale
        guard abs(scaled) < exactLimit else { return value }
        return scaled.rounded() / scale
    }
}
