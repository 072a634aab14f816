import Foundation

extension TelemetryEvent {
    /// A route's circuit breaker changed state. Keyed `provider/model`.
    public struct Circuit: Sendable, Hashable, Encodable {
        /// The breaker's new state.
        public enum State: String, Sendable, Hashable, CaseIterable {
            case open
            case halfOpen = "half_open"
            case closed
        }

        public var route: RouteName
        public var state: State
        public var at: Date
        /// How long the breaker stays open, for `open`.
        public var cooldownMs: Int?

        public init(route: RouteName, state: State, at: Date, cooldownMs: Int? = nil) {
            self.route = route
            self.state = state
            self.at = at
            self.cooldownMs = cooldownMs
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: WireKey.self)
            try container.encode("circuit", forKey: WireKey("event"))
            try container.encode(route.provider, forKey: WireKey("provider"))
            try container.encode(route.model, forKey: WireKey("model"))
            try container.encode(state.rawValue, forKey: WireKey("state"))
            try container.encode(RFC3339.string(from: at), forKey: WireKey("at"))
            try container.encodeIfPresent(cooldownMs, forKey: WireKey("cooldown_ms"))
        }
    }
}
