/// Numbers as report text without Foundation: fixed decimals (`3.10`), and a pair written with
/// just enough decimals to tell them apart.
///
/// Guarantees: never traps, whatever the value: NaN is `nan`, infinities `inf` and `-inf`, and a
/// magnitude too large to scale exactly (10¹⁵ and beyond, after scaling) is written in Swift's
/// shortest form (`1e+300`) instead of being converted to an integer.
enum DecimalText {
    /// The most decimals ``distinct(_:_:)`` uses.
    static let maxDecimals = 6

    /// `value` rounded to `decimals` places (0 to ``maxDecimals``), half away from zero.
    static func fixed(_ value: Double, decimals: Int) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let places = min(max(decimals, 0), maxDecimals)
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded(.toNearestOrAwayFromZero)
        // Below 2^53, so the conversion is exact and cannot trap.
        guard scaled < 9.0e15 else { return value.description }
        let units = Int64(scaled)
        let whole = String(units / scale)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard places > 0 else { return sign + whole }
        let fraction = String(units % scale)
        return sign + whole + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// `first` and `second` with 2 decimals, or with more (up to ``maxDecimals``) when 2 would
    /// print two different numbers the same, so `0.599 < 0.60` never reads `0.60 < 0.60`.
    static func distinct(_ first: Double, _ second: Double) -> (String, String) {
        var decimals = 2
        while true {
            let pair = (fixed(first, decimals: decimals), fixed(second, decimals: decimals))
            if pair.0 != pair.1 || first == second || decimals >= maxDecimals { return pair }
            decimals += 1
        }
    }
}
