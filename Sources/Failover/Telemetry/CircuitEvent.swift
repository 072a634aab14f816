import Foundation

/// A route breaker changed state: the `circuit` telemetry event, keyed `provider/model`.
package struct CircuitEvent: Sendable, Hashable {
    package var provider: String
    package var model: String
    package var state: CircuitState
    package var at: Date
    /// For `open`: how long until the breaker lets a probe through.
    package var cooldown: Duration?

    package init(provider: String, model: String, state: CircuitState, at: Date, cooldown: Duration? = nil) {
        self.provider = provider
        self.model = model
        self.state = state
        self.at = at
        self.cooldown = cooldown
    }

    /// `provider/model`, the telemetry message key.
    package var key: String { "\(provider)/\(model)" }
}
