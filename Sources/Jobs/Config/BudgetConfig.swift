import Completions

/// `workloads.NAME.budget`: the most the fleet may spend on one workload per window, in US
/// dollars (from usage and the pricing table). Over a window's cap, the workload's jobs wait in
/// Kafka (the deferred topic) until the window rolls, or fail as `budget_exhausted` at their
/// deadline.
///
/// Guarantees: at least one cap; every cap finite and in (0, 1e9]; windows are tumbling and
/// aligned on the Unix epoch (an hour window starts on the hour UTC, a day window at 00:00 UTC),
/// so every worker computes the same window for the same instant without talking to the others.
package struct BudgetConfig: Sendable, Hashable {
    /// One window and its cap.
    package struct Window: Sendable, Hashable {
        /// What metrics and telemetry call it: `hour`, `day`, or `window` (`window_ms`).
        package var name: String
        /// Its length, in milliseconds (at least ``minWindowMs``).
        package var lengthMs: Int64
        /// The most the fleet may spend in one such window, in US dollars.
        package var capUSD: Double

        package init(name: String, lengthMs: Int64, capUSD: Double) {
            self.name = name
            self.lengthMs = lengthMs
            self.capUSD = capUSD
        }

        /// The start of the window that holds `ms` (milliseconds since the epoch).
        package func start(at ms: Int64) -> Int64 {
            let length = max(1, lengthMs)
            let (quotient, remainder) = ms.quotientAndRemainder(dividingBy: length)
            return (remainder < 0 ? quotient - 1 : quotient) &* length
        }

        /// The end of the window that holds `ms`: when the next one opens.
        package func end(at ms: Int64) -> Int64 { start(at: ms) &+ lengthMs }
    }

    /// The shortest custom window (`window_ms`).
    package static let minWindowMs = 1_000
    /// The longest custom window: a week.
    package static let maxWindowMs = 604_800_000
    /// The largest cap accepted, in US dollars.
    package static let maxCapUSD = 1e9

    /// The windows, each with its cap (one to three).
    package var windows: [Window]

    package init(windows: [Window]) {
        self.windows = windows
    }

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> BudgetConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["usd_per_hour", "usd_per_day", "usd_per_window", "window_ms"])
        let cap = Read.number(in: 0...maxCapUSD)
        var windows: [Window] = []
        for (key, name, length) in [("usd_per_hour", "hour", Int64(3_600_000)), ("usd_per_day", "day", Int64(86_400_000))] {
            guard let usd = try object.optional(key, cap) else { continue }
            guard usd > 0 else { throw .invalid(path.appending(key), "expected a cap above 0, got \(usd)") }
            windows.append(Window(name: name, lengthMs: length, capUSD: usd))
        }
        let custom = try object.optional("usd_per_window", cap)
        let customLength = try object.optional("window_ms", Read.integer(in: minWindowMs...maxWindowMs))
        switch (custom, customLength) {
        case (let usd?, let length?):
            guard usd > 0 else { throw .invalid(path.appending("usd_per_window"), "expected a cap above 0, got \(usd)") }
            windows.append(Window(name: "window", lengthMs: Int64(length), capUSD: usd))
        case (.some, nil):
            throw .invalid(path.appending("window_ms"), "is required with usd_per_window (the window's length in milliseconds)")
        case (nil, .some):
            throw .invalid(path.appending("usd_per_window"), "is required with window_ms (the cap of that window, in US dollars)")
        case (nil, nil):
            break
        }
        guard !windows.isEmpty else {
            throw .invalid(path, "expected at least one of usd_per_hour, usd_per_day or usd_per_window (with window_ms)")
        }
        return BudgetConfig(windows: windows)
    }
}
