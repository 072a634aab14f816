import Completions
import Failover
import Foundation

extension TelemetryEvent {
    /// A route's circuit breaker changed state. Keyed `provider/model`.
    package struct Circuit: Sendable, Hashable, JSONWritable {
        /// The route whose breaker changed.
        package var route: RouteKey
        /// The breaker's new state.
        package var state: CircuitState
        /// When it changed.
        package var at: Date
        /// How long the breaker stays open, for `open`.
        package var cooldownMs: Int?
        /// The worker whose breaker it is (absent in events of versions before it was written).
        package var worker: String?

        package init(route: RouteKey, state: CircuitState, at: Date, cooldownMs: Int? = nil, worker: String? = nil) {
            self.route = route
            self.state = state
            self.at = at
            self.cooldownMs = cooldownMs
            self.worker = worker
        }

        package func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("event", "circuit")
            writer.member("provider", route.provider)
            writer.member("model", route.model)
            writer.member("state", state.rawValue)
            writer.member("at", RFC3339.string(from: at))
            writer.member("cooldown_ms", ifPresent: cooldownMs)
            writer.member("worker", ifPresent: worker)
            writer.endObject()
        }
    }
}
