import Foundation

/// A route breaker changed state: the `circuit` telemetry event, keyed `provider/model`.
public struct CircuitEvent: Sendable, Hashable {
    public var provider: String
    public var model: String
    public var state: CircuitState
    public var at: Date

    public init(provider: String, model: String, state: CircuitState, at: Date) {
        self.provider = provider
        self.model = model
        self.state = state
        self.at = at
    }

    /// `provider/model`, the telemetry message key.
    public var key: String { "\(provider)/\(model)" }
}
