/// The identity of a route across jobs: `provider/model`. Health state is kept per key.
public struct RouteKey: Sendable, Hashable, CustomStringConvertible {
    public var provider: String
    public var model: String

    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// `provider/model`, the key of circuit events on the telemetry topic.
    public var description: String { "\(provider)/\(model)" }
}
