/// One approved route of a job: a configured provider and a model on it.
///
/// `index` is the route's position in the job's declared route list; it is kept whatever
/// demotion or skipping happens, so results and telemetry can say which declared route served.
package struct RouteTarget: Sendable, Hashable {
    /// The configured provider name (the key of the engine's provider map).
    package var provider: String
    /// The model to call on that provider.
    package var model: String
    /// Position in the job's declared route list (0 = primary).
    package var index: Int

    package init(provider: String, model: String, index: Int) {
        self.provider = provider
        self.model = model
        self.index = index
    }

    /// The process-wide identity of the route (`provider/model`): breakers, latency and cooldowns
    /// are shared by every job that names the same provider and model.
    package var key: RouteKey { RouteKey(provider: provider, model: model) }
}
