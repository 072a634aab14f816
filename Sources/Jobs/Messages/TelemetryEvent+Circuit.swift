import Completions
import Foundation

extension TelemetryEvent {
    /// A route's circuit breaker changed state. Keyed `provider/model`.
    public struct Circuit: Sendable, Hashable, JSONWritable {
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

        public func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("event", "circuit")
            writer.member("provider", route.provider)
            writer.member("model", route.model)
            writer.member("state", state.rawValue)
            writer.member("at", RFC3339.string(from: at))
            writer.member("cooldown_ms", ifPresent: cooldownMs)
            writer.endObject()
        }
    }
}
