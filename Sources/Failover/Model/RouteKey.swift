/// A route: a provider as the config names it (`claude-direct`, not its type) and a model of that
/// provider (`claude-sonnet-4-5`). Jobs and the config list routes with it, and the engine keeps
/// health state per key. It never carries a URL, a key or a header.
package struct RouteKey: Sendable, Hashable, CustomStringConvertible {
    /// The provider's name in the config.
    package var provider: String
    /// The model as the provider names it.
    package var model: String

    package init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// `provider/model`, the key of circuit events on the telemetry topic.
    package var description: String { "\(provider)/\(model)" }
}
