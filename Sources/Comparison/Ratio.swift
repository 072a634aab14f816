/// How the module divides a backup's measure by the primary's, in one place, so that every ratio
/// (length, p95 latency, cost) is defined for every input.
///
/// Rules: a positive denominator gives the plain quotient; a denominator of zero or less (the
/// primary measured nothing: an empty text, a zero latency, a free route) gives 1 when the
/// numerator is zero or less too (nothing against nothing), and `+infinity` otherwise (something
/// against nothing), which breaches any finite maximum. A NaN on either side gives NaN.
///
/// Callers that write a ratio as JSON must decide how to write `+infinity` (JSON has no such
/// number; `JSONWriter` writes `null` and flags it).
enum Ratio {
    /// `numerator / denominator` under the rules above.
    static func of(_ numerator: Double, to denominator: Double) -> Double {
        if numerator.isNaN || denominator.isNaN { return .nan }
        if denominator > 0 { return numerator / denominator }
        return numerator > 0 ? .infinity : 1
    }
}
