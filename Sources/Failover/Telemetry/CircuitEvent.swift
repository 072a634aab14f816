import Foundation

/// A route breaker changed state: the `circuit` telemetry event, keyed `provider/model`.
package struct CircuitEvent: Sendable, Hashable {
    package var provider: String
    package var model: String
    package var state: CircuitState
    package var at: Date

    package init(provider: String, model: String, state: CircuitState, at: Date) {
        self.provider = provider
        self.model = model
        self.state = state
        self.at = at
    }

    /// `provider/model`, the telemetry message key.
    package var key: String { "\(provider)/\(model)" }
}
