/// A route breaker's state; raw values are the telemetry wire names.
package enum CircuitState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Calls flow.
    case closed
    /// Calls are refused without touching the network until the cooldown ends.
    case open
    /// A few probe calls may go through; a success closes the breaker, a failure reopens it.
    case halfOpen = "half_open"
}
