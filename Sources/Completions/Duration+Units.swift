extension Duration {
    /// Whole milliseconds, rounded toward zero, saturating at the `Int64` bounds: the unit of
    /// every `*_ms` field on the wire and in the config.
    package var milliseconds: Int64 { saturating(per: 1_000) }

    /// Whole nanoseconds, rounded toward zero, saturating at the `Int64` bounds.
    package var nanoseconds: Int64 { saturating(per: 1_000_000_000) }

    /// The duration in seconds as a `Double`.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole units of `1 / unitsPerSecond` seconds, saturating at the `Int64` bounds.
    private func saturating(per unitsPerSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond))
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }
}
